import { useRef, useState } from "react";
import { FeedbackCard } from "./feedback-card";
import { WithdrawContributions } from "./withdraw-contributions";
import { SelfReading } from "./self-reading";
import { useListenerSession, type ListenerSessionState } from "./use-listener-session";

function statusLine(state: ListenerSessionState): { text: string; tone: "ok" | "warn" | "muted" } {
  if (state.connection === "reconnecting") return { text: "Connection lost, reconnecting…", tone: "warn" };
  if (state.connection === "connecting") return { text: "Connecting…", tone: "muted" };
  if (state.camera === "paused") return { text: "Paused: your camera is off", tone: "muted" };
  // Nothing is lost meanwhile: crops are kept here until the server has stored them.
  if (state.isCatchingUp && state.queued > 3) return { text: `Catching up: ${state.queued} readings waiting to be stored`, tone: "warn" };
  if (state.camera !== "on") return { text: "Camera not running", tone: "warn" };
  if (!state.mode) return { text: "Loading face detection…", tone: "muted" };
  return { text: state.mode === "crop" ? "Live: face crops are being sent" : "Live: small frames are being sent (detection on the server)", tone: "ok" };
}

export function LiveListener({ code, title, name, onRejoin }: { code: string; title: string; name: string; onRejoin(): void }) {
  const videoRef = useRef<HTMLVideoElement | null>(null);
  const { state, pause, resume, leave, sendFeedback, cropOf } = useListenerSession(code, name, videoRef);
  const [busy, setBusy] = useState(false);
  const run = (action: () => Promise<void>) => {
    setBusy(true);
    void action().finally(() => setBusy(false));
  };

  if (state.left || state.connection === "ended" || state.connection === "failed") {
    const heading = state.left ? "You have left the session" : state.connection === "ended" ? "The session has ended" : "You could not join";
    const text = state.left
      ? "Your camera is off and nothing more is sent. Thank you for taking part."
      : state.connection === "ended"
        ? "The speaker ended the session. Your camera is off. Thank you for taking part."
        : (state.connectionMessage ?? "The server refused to let you join.");
    return (
      <section className="card narrow" role="status">
        <h1>{heading}</h1>
        <p>{text}</p>
        {/* Withdrawing stays possible after leaving: the token is still in this page. */}
        <WithdrawContributions identity={state.joined} />
        {state.connection !== "ended" && (
          <button type="button" className="button secondary" onClick={onRejoin}>
            Join again
          </button>
        )}
      </section>
    );
  }

  const status = statusLine(state);
  const isActive = state.camera === "on" && state.connection === "joined";
  return (
    <div className="listener-layout">
      <section className="card listener-main" aria-labelledby="live-heading">
        <div className="listener-head">
          <div>
            <p className="eyebrow">Listening to</p>
            <h1 id="live-heading" className="session-title">
              {title}
            </h1>
            {state.joined && <p className="muted small">You appear as {state.joined.name}.</p>}
          </div>
          <p className={`status-pill ${status.tone}`} role="status" data-testid="listener-status">
            {status.text}
          </p>
        </div>
        <div className="preview-frame">
          <video ref={videoRef} className="preview" muted playsInline autoPlay aria-label="Your camera preview, visible only to you" />
          {state.camera !== "on" && <div className="preview-overlay">{state.camera === "starting" ? "Starting camera…" : "Camera off"}</div>}
        </div>
        <p className="muted small">Only you see this preview (mirrored). It never leaves your device.</p>
        {state.cameraProblem && (
          <div className="alert error" role="alert">
            <p>{state.cameraProblem.message}</p>
            <button type="button" className="button secondary" onClick={() => run(resume)} disabled={busy}>
              Try again
            </button>
          </div>
        )}
        <div className="row">
          {state.camera === "paused" ? (
            <button type="button" className="button primary" onClick={() => run(resume)} disabled={busy} data-testid="resume">
              Resume
            </button>
          ) : (
            <button type="button" className="button secondary" onClick={() => run(pause)} disabled={busy || state.camera !== "on"} data-testid="pause">
              Pause
            </button>
          )}
          <button type="button" className="button danger-outline" onClick={() => run(leave)} disabled={busy} data-testid="leave">
            Leave session
          </button>
        </div>
      </section>
      <div>
        <SelfReading reading={state.reading} isActive={isActive} />
        <FeedbackCard reading={state.reading} isActive={isActive} cropOf={cropOf} send={sendFeedback} identity={state.joined} />
      </div>
    </div>
  );
}
