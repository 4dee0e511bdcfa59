import type { AnchorHTMLAttributes, MouseEvent, ReactNode } from "react";
import { navigate } from "./router";

/** An in-app link that navigates without a page load (plain clicks only). */
export function Link({ to, children, ...rest }: { to: string; children: ReactNode } & Omit<AnchorHTMLAttributes<HTMLAnchorElement>, "href" | "onClick">) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a {...rest} href={to} onClick={onClick}>
      {children}
    </a>
  );
}

export function PageShell({ children, wide = false, actions }: { children: ReactNode; wide?: boolean; actions?: ReactNode }) {
  return (
    <div className="shell">
      <header className="topbar">
        <div className={wide ? "topbar-inner wide" : "topbar-inner"}>
          <a className="brand" href="/">
            <span className="brand-dot" aria-hidden="true" />
            Room Mood
          </a>
          {actions && <div className="topbar-actions">{actions}</div>}
        </div>
      </header>
      <main className={wide ? "content wide" : "content"}>{children}</main>
    </div>
  );
}
