import type { SessionStatus } from "@emotion/protocol";
import { useState, type FormEvent } from "react";
import { ApiError } from "../shared/api";

function messageOf(error: unknown): string {
  return error instanceof ApiError ? error.message : "That did not work. Try again.";
}

/** Marker input and the session's lifecycle buttons. */
export function DashboardControls({
  status,
  isConnected,
  onMarker,
  onStart,
  onEnd,
}: {
  status: SessionStatus | null;
  isConnected: boolean;
  onMarker(label: string): Promise<void>;
  onStart(): Promise<void>;
  onEnd(): Promise<void>;
}) {
  const [label, setLabel] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const isEnded = status === "ended";

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const text = label.trim();
    if (text)
      void run(async () => {
        await onMarker(text);
        setLabel("");
      });
  };

  const onEndClick = () => {
    if (window.confirm("End the session for everyone? Listeners are disconnected and their cameras turn off.")) void run(onEnd);
  };

  return (
    <section className="card controls" aria-label="Session controls">
      <form className="marker-form" onSubmit={onSubmit}>
        <label className="field grow">
          <span>Marker</span>
          <input
            value={label}
            onChange={(e) => setLabel(e.target.value)}
            maxLength={100}
            placeholder="e.g. Slide 3, Q&A"
            disabled={isEnded}
            data-testid="marker-label"
          />
        </label>
        <button type="submit" className="button secondary" disabled={busy || !isConnected || isEnded || !label.trim()} data-testid="add-marker">
          Add marker
        </button>
      </form>
      <div className="row">
        {status === "scheduled" && (
          <button type="button" className="button primary" onClick={() => void run(onStart)} disabled={busy || !isConnected} data-testid="start-session">
            Go live
          </button>
        )}
        <button type="button" className="button danger" onClick={onEndClick} disabled={busy || !isConnected || isEnded} data-testid="end-session">
          {isEnded ? "Session ended" : "End session"}
        </button>
      </div>
      {error && (
        <p className="alert error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
