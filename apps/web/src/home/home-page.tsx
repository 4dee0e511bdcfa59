import { CreatedSession } from "@emotion/protocol";
import { useState, type FormEvent } from "react";
import { absoluteUrl, ApiError, requestJson } from "../shared/api";
import { CopyButton } from "../shared/copy-button";
import { Link, PageShell } from "../shared/layout";
import { navigate } from "../shared/router";
import { loadRecentSessions, rememberSession, saveSpeakerToken, type RecentSession } from "../shared/storage";

export function dashboardHref(sessionId: string, token: string): string {
  return `/dashboard/${encodeURIComponent(sessionId)}#token=${encodeURIComponent(token)}`;
}

export function HomePage() {
  const [title, setTitle] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<CreatedSession | null>(null);
  const [recent] = useState<RecentSession[]>(loadRecentSessions);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await requestJson("/api/sessions", CreatedSession, { method: "POST", body: { title } });
      saveSpeakerToken(session.id, session.speakerToken);
      rememberSession({ id: session.id, title: title.trim(), code: session.code, createdAt: Date.now() });
      setCreated(session);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "The session could not be created.");
    } finally {
      setBusy(false);
    }
  };

  return (
    <PageShell>
      <section className="hero">
        <h1>See how your audience feels, live.</h1>
        <p className="lede">
          Listeners join from their own browser. Their camera stays on their device: only small grey face crops are sent, classified into seven emotions and
          discarded. You see the room’s mood, never faces.
        </p>
      </section>

      {created ? (
        <CreatedCard session={created} />
      ) : (
        <section className="card narrow" aria-labelledby="create-heading">
          <h2 id="create-heading">Create a session</h2>
          <form onSubmit={(e) => void onSubmit(e)} className="stack">
            <label className="field">
              <span>Title</span>
              <input
                name="title"
                data-testid="session-title"
                value={title}
                onChange={(e) => setTitle(e.target.value)}
                placeholder="e.g. Quarterly review"
                maxLength={200}
                required
                autoFocus
              />
            </label>
            {error && (
              <p className="alert error" role="alert">
                {error}
              </p>
            )}
            <button type="submit" className="button primary" disabled={busy || !title.trim()} data-testid="create-session">
              {busy ? "Creating…" : "Create session"}
            </button>
          </form>
        </section>
      )}

      {!created && <JoinByCode />}

      {!created && (
        <section className="card narrow" aria-labelledby="upload-heading">
          <h2 id="upload-heading">Have a recording instead?</h2>
          <p className="muted">Upload a video of your audience (mp4, webm or mov) and get the same report as for a live session.</p>
          <Link to="/upload" className="button secondary" data-testid="home-upload">
            Upload a recording
          </Link>
        </section>
      )}

      {recent.length > 0 && !created && (
        <section className="card narrow" aria-labelledby="recent-heading">
          <h2 id="recent-heading">Your recent sessions</h2>
          <ul className="recent-list">
            {recent.map((s) => (
              <li key={s.id}>
                <Link to={`/dashboard/${encodeURIComponent(s.id)}`}>{s.title || s.code}</Link>
                <span className="muted">
                  {" "}
                  · code {s.code} · {new Date(s.createdAt).toLocaleString()} ·{" "}
                </span>
                <Link to={`/report/${encodeURIComponent(s.id)}`}>report</Link>
              </li>
            ))}
          </ul>
        </section>
      )}
    </PageShell>
  );
}

function JoinByCode() {
  const [code, setCode] = useState("");
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const clean = code.trim().toUpperCase();
    if (clean) navigate(`/join/${encodeURIComponent(clean)}`);
  };
  return (
    <section className="card narrow" aria-labelledby="join-heading">
      <h2 id="join-heading">Join as a listener</h2>
      <form onSubmit={onSubmit} className="share-row">
        <input
          value={code}
          onChange={(e) => setCode(e.target.value)}
          placeholder="Code, e.g. AB3K9Q"
          aria-label="Session code"
          maxLength={16}
          autoCapitalize="characters"
          className="code"
        />
        <button type="submit" className="button secondary" disabled={!code.trim()}>
          Join
        </button>
      </form>
    </section>
  );
}

function CreatedCard({ session }: { session: CreatedSession }) {
  const joinUrl = absoluteUrl(session.joinUrl);
  const dashboard = dashboardHref(session.id, session.speakerToken);
  return (
    <section className="card narrow" aria-labelledby="created-heading">
      <h2 id="created-heading">Your session is ready</h2>
      <p>Share this link with your listeners. They can also enter the code on their own.</p>
      <div className="share-row">
        <input readOnly value={joinUrl} aria-label="Join link" data-testid="join-link" onFocus={(e) => e.target.select()} />
        <CopyButton text={joinUrl} />
      </div>
      <p className="code-line">
        Code <strong className="code">{session.code}</strong>
      </p>
      <p className="muted small">Your dashboard link is private: it contains your speaker key. It is also remembered in this browser.</p>
      <div className="row">
        <Link to={dashboard} className="button primary" data-testid="open-dashboard">
          Open dashboard
        </Link>
      </div>
    </section>
  );
}
