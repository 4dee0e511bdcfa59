import { JoinInfo } from "@emotion/protocol";
import { useEffect, useState } from "react";
import { ApiError, requestJson } from "../shared/api";
import { Link, PageShell } from "../shared/layout";
import { ConsentScreen } from "./consent-screen";
import { LiveListener } from "./live-listener";

type Load = { state: "loading" } | { state: "ready"; info: JoinInfo } | { state: "error"; message: string };

function describeJoinError(code: string, error: unknown): string {
  if (error instanceof ApiError && error.code === "NOT_FOUND") return `No session has the code “${code}”. Check the link you were given.`;
  if (error instanceof ApiError) return error.message;
  return "The session could not be loaded. Check your connection and reload the page.";
}

export default function JoinPage({ code }: { code: string }) {
  const [load, setLoad] = useState<Load>({ state: "loading" });
  const [name, setName] = useState("");
  const [phase, setPhase] = useState<"consent" | "live">("consent");

  useEffect(() => {
    let cancelled = false;
    requestJson(`/api/join/${encodeURIComponent(code)}`, JoinInfo)
      .then((info) => !cancelled && setLoad({ state: "ready", info }))
      .catch((error: unknown) => !cancelled && setLoad({ state: "error", message: describeJoinError(code, error) }));
    return () => {
      cancelled = true;
    };
  }, [code]);

  if (load.state === "loading")
    return (
      <PageShell>
        <p className="page-loading">Loading the session…</p>
      </PageShell>
    );
  if (load.state === "error") return <Notice title="Session not available" text={load.message} />;
  if (load.info.status === "ended") return <Notice title="This session has ended" text={`“${load.info.title}” is over. Thank you for your interest.`} />;
  return (
    <PageShell>
      {phase === "consent" ? (
        <ConsentScreen info={load.info} name={name} onNameChange={setName} onAccept={() => setPhase("live")} />
      ) : (
        <LiveListener code={code} title={load.info.title} name={name} onRejoin={() => setPhase("consent")} />
      )}
    </PageShell>
  );
}

function Notice({ title, text }: { title: string; text: string }) {
  return (
    <PageShell>
      <section className="card narrow" role="status">
        <h1>{title}</h1>
        <p>{text}</p>
        <p>
          <Link to="/">Start page</Link>
        </p>
      </section>
    </PageShell>
  );
}
