import { useSyncExternalStore } from "react";

const NAVIGATE = "app:navigate";

function subscribe(onChange: () => void): () => void {
  window.addEventListener("popstate", onChange);
  window.addEventListener(NAVIGATE, onChange);
  return () => {
    window.removeEventListener("popstate", onChange);
    window.removeEventListener(NAVIGATE, onChange);
  };
}

/** The current path name, re-rendering on history changes. */
export function usePathname(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

/** Client-side navigation: pushes a history entry and re-renders the router. */
export function navigate(to: string): void {
  window.history.pushState(null, "", to);
  window.dispatchEvent(new Event(NAVIGATE));
  window.scrollTo(0, 0);
}

export type Route =
  | { name: "home" }
  | { name: "join"; code: string }
  | { name: "dashboard"; sessionId: string }
  | { name: "report"; sessionId: string }
  | { name: "upload"; sessionId?: string }
  | { name: "models" }
  | { name: "not_found" };

/** Maps a path to a route; the server answers these paths with index.html. */
export function matchRoute(pathname: string): Route {
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { name: "home" };
  const [head, param] = parts;
  if (parts.length === 1 && head === "upload") return { name: "upload" };
  if (parts.length === 1 && head === "models") return { name: "models" };
  // the server answers /upload/* with the app too: /upload/<sessionId> preselects that session
  if (parts.length === 2 && head === "upload" && param) return { name: "upload", sessionId: param };
  if (parts.length === 2 && param) {
    if (head === "join") return { name: "join", code: param };
    if (head === "dashboard") return { name: "dashboard", sessionId: param };
    if (head === "report") return { name: "report", sessionId: param };
  }
  return { name: "not_found" };
}
