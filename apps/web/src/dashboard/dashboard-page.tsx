import { SessionDetail, type Marker } from "@emotion/protocol";
import { useEffect, useMemo, useState } from "react";
import { absoluteUrl, ApiError, requestJson } from "../shared/api";
import { CopyButton } from "../shared/copy-button";
import { Link, PageShell } from "../shared/layout";
import { resolveSpeakerToken } from "../shared/speaker-token";
import { DashboardControls } from "./dashboard-controls";
import { ListenerGrid } from "./listener-grid";
import { MoodBar } from "./mood-bar";
import { TimelineChart } from "./timeline-chart";
import { useRoom } from "./use-room";

const NO_MARKERS: Marker[] = [];

export default function DashboardPage({ sessionId }: { sessionId: string }) {
  const [token] = useState(() => resolveSpeakerToken(sessionId));
  const [detail, setDetail] = useState<SessionDetail | null>(null);
  const [detailError, setDetailError] = useState<string | null>(null);
  const { state, addMarker, start, end } = useRoom(sessionId, token, detail?.markers ?? NO_MARKERS);

  useEffect(() => {
    if (!token) return;
    requestJson(`/api/sessions/${encodeURIComponent(sessionId)}`, SessionDetail, { token })
      .then(setDetail)
      .catch((error: unknown) =>
        setDetailError(
          error instanceof ApiError && (error.status === 401 || error.status === 403)
            ? "This dashboard link is not valid for this session. Open the link you got when you created it."
            : error instanceof ApiError && error.code === "NOT_FOUND"
              ? "There is no session with this id."
              : "The session could not be loaded.",
        ),
      );
  }, [sessionId, token]);

  const status = state.sessionStatus ?? detail?.status ?? null;
  const joinUrl = detail ? absoluteUrl(detail.joinUrl) : null;
  const tiles = state.mood?.tiles;
  const stableTiles = useMemo(() => tiles ?? [], [tiles]);

  if (!token) {
    return (
      <PageShell>
        <section className="card narrow" role="alert">
          <h1>Speaker link needed</h1>
          <p>
            This dashboard opens with the private link you got when you created the session (it ends in <code>#token=…</code>).
          </p>
          <p>
            <Link to="/">Create a new session</Link>
          </p>
        </section>
      </PageShell>
    );
  }
  const fatal = detailError ?? (state.link === "error" ? state.error : null);

  return (
    <PageShell
      wide
      actions={
        <>
          {joinUrl && <CopyButton text={joinUrl} label="Copy join link" />}
          <Link to={`/upload?session=${encodeURIComponent(sessionId)}`} className="button ghost" data-testid="dashboard-upload">
            Upload a recording
          </Link>
          <Link to={`/report/${encodeURIComponent(sessionId)}`} className="button ghost">
            Report
          </Link>
        </>
      }
    >
      <div className="dash-head">
        <div>
          <p className="eyebrow">Speaker dashboard</p>
          <h1 className="session-title">{detail?.title ?? "Loading…"}</h1>
          {detail && (
            <p className="muted">
              Join code <strong className="code">{detail.code}</strong> · <span className="join-url">{joinUrl}</span>
            </p>
          )}
        </div>
        <div className="dash-stats">
          <p className="stat">
            <span className="stat-value" data-testid="listener-count">
              {state.mood?.listenerCount ?? 0}
            </span>
            <span className="stat-label">listeners</span>
          </p>
          <p className={`status-pill ${status === "live" && state.link === "live" ? "ok" : status === "ended" ? "muted" : "warn"}`} role="status">
            {state.link === "reconnecting"
              ? "Reconnecting…"
              : state.link === "connecting"
                ? "Connecting…"
                : status === "ended"
                  ? "Ended"
                  : status === "scheduled"
                    ? "Not started"
                    : "Live"}
          </p>
        </div>
      </div>
      {fatal && (
        <p className="alert error" role="alert">
          {fatal}
        </p>
      )}
      {status === "ended" && (
        <p className="alert info" role="status">
          This session has ended. <Link to={`/report/${encodeURIComponent(sessionId)}`}>Open the report</Link>.
        </p>
      )}
      <div className="dash-grid">
        <MoodBar shares={state.mood?.shares ?? null} presentCount={state.mood?.presentCount ?? 0} />
        <DashboardControls status={status} isConnected={state.link === "live"} onMarker={addMarker} onStart={start} onEnd={end} />
        <TimelineChart points={state.timeline} markers={state.markers} />
      </div>
      <ListenerGrid tiles={stableTiles} />
    </PageShell>
  );
}
