import type { SessionReport } from "@emotion/protocol";
import { useCallback, useMemo, useRef, useState } from "react";
import { EMOTION_COLORS, EMOTION_LABELS, formatPercent } from "../shared/emotions";
import { Link, PageShell } from "../shared/layout";
import { resolveSpeakerToken, speakerHref } from "../shared/speaker-token";
import { formatClock, formatDuration } from "../shared/time";
import { CorrectionsSection } from "./corrections-section";
import { ListenerMultiples } from "./listener-multiples";
import { AudienceChart, DistributionChart, RoomEmotionChart } from "./report-charts";
import { focusAt, groupsOf, hasReadings, roomRows, timeEnd, type Focus } from "./report-data";
import { Downloads, Groups, KeyMoments } from "./report-sections";
import { LIVE_REFRESH_MS, useReport } from "./use-report";

const STATUS_LABELS: Record<SessionReport["session"]["status"], string> = { scheduled: "Not started", live: "Live", ended: "Ended" };

function Stat({ value, label, testId }: { value: string; label: string; testId?: string }) {
  return (
    <p className="stat left">
      <span className="stat-value" data-testid={testId}>
        {value}
      </span>
      <span className="stat-label">{label}</span>
    </p>
  );
}

function ReportBody({ report, sessionId, token, reload }: { report: SessionReport; sessionId: string; token: string; reload(): void }) {
  const [focus, setFocus] = useState<Focus | null>(null);
  const chartsRef = useRef<HTMLDivElement>(null);
  const endMs = timeEnd(report);
  const rows = useMemo(() => roomRows(report), [report]);
  const groups = useMemo(() => groupsOf(report), [report]);
  const whole = useMemo(() => ({ from: 0, to: endMs }), [endMs]);
  const view = focus ?? whole;
  const isEmpty = !hasReadings(report);

  const jump = useCallback(
    (tMs: number) => {
      setFocus(focusAt(tMs, endMs, report.bucketMs));
      chartsRef.current?.scrollIntoView({ behavior: "smooth", block: "start" });
    },
    [endMs, report.bucketMs],
  );
  const chart = { markers: report.markers, focus, view };

  return (
    <>
      <section className="card report-summary" aria-labelledby="summary-heading">
        <div className="report-stats">
          <Stat value={formatDuration(report.session.durationMs)} label="duration" testId="report-duration" />
          <Stat value={String(report.listenerCount)} label={report.listenerCount === 1 ? "listener" : "listeners"} testId="report-listener-count" />
          <Stat value={formatPercent(report.presence)} label="presence" />
          <Stat value={report.readingCount.toLocaleString()} label="readings" />
          <p className="stat left">
            <span className="stat-value dominant">
              {report.dominant ? (
                <>
                  <span className="swatch large" style={{ background: EMOTION_COLORS[report.dominant] }} aria-hidden="true" />
                  {EMOTION_LABELS[report.dominant]}
                </>
              ) : (
                "–"
              )}
            </span>
            <span className="stat-label">most frequent</span>
          </p>
        </div>
        <h2 id="summary-heading" className="visually-hidden">
          Summary
        </h2>
        <p className="summary-text" data-testid="report-summary">
          {report.summary}
        </p>
        <Downloads sessionId={sessionId} token={token} />
      </section>

      {isEmpty ? (
        <section className="card empty-state" data-testid="report-empty">
          <h2>No readings yet</h2>
          <p className="muted">
            {report.session.status === "live"
              ? "Nobody has sent a reading yet. This page refreshes by itself while the session is live."
              : "This session has no readings. Share the join link during a live session, or upload a recording into it."}
          </p>
          <div className="row">
            <Link to={`/upload?session=${encodeURIComponent(sessionId)}`} className="button secondary">
              Upload a recording
            </Link>
          </div>
        </section>
      ) : (
        <>
          <KeyMoments moments={report.keyMoments} activeMs={focus?.tMs ?? null} onJump={jump} />
          <div ref={chartsRef} className="charts-anchor">
            {focus && (
              <p className="alert info focus-bar" role="status" data-testid="focus-bar">
                Showing {formatClock(focus.from)}–{formatClock(focus.to)} around the moment at {formatClock(focus.tMs)} (highlighted).
                <button type="button" className="button secondary small-button" onClick={() => setFocus(null)}>
                  Show the whole session
                </button>
              </p>
            )}
            <RoomEmotionChart rows={rows} {...chart} />
            <div className="report-grid">
              <AudienceChart rows={rows} {...chart} />
              <DistributionChart distribution={report.distribution} />
            </div>
            <ListenerMultiples listeners={report.listeners} groups={groups} bucketMs={report.bucketMs} endMs={endMs} {...chart} />
          </div>
          <Groups groups={[...groups.values()]} />
        </>
      )}
      {report.corrections && <CorrectionsSection summary={report.corrections} sessionId={sessionId} token={token} onDeleted={reload} />}
    </>
  );
}

/** The session's report: the same view for live and uploaded sessions; refreshes while live. */
export default function ReportPage({ sessionId }: { sessionId: string }) {
  const [token] = useState(() => resolveSpeakerToken(sessionId));
  const { report, error, updatedAt, reload } = useReport(sessionId, token);

  if (!token) {
    return (
      <PageShell>
        <section className="card narrow" role="alert">
          <h1>Speaker link needed</h1>
          <p>
            The report opens from the dashboard, or with the private link you got when you created the session (it ends in <code>#token=…</code>).
          </p>
          <p>
            <Link to="/">Go to the start page</Link>
          </p>
        </section>
      </PageShell>
    );
  }

  const status = report?.session.status;
  // A session fed only by recordings never goes live: "Not started" would mislead there.
  const isRecording = status === "scheduled" && report?.listeners.some((l) => l.kind === "upload");
  return (
    <PageShell
      wide
      actions={
        <>
          <Link to={`/upload?session=${encodeURIComponent(sessionId)}`} className="button ghost">
            Upload a recording
          </Link>
          <Link to={speakerHref("dashboard", sessionId, null)} className="button ghost">
            Dashboard
          </Link>
        </>
      }
    >
      <div className="dash-head">
        <div>
          <p className="eyebrow">Report</p>
          <h1 className="session-title" data-testid="report-title">
            {report?.session.title ?? "Loading…"}
          </h1>
          {status === "live" && updatedAt && (
            <p className="muted small">
              Live: refreshes every {LIVE_REFRESH_MS / 1000} s · updated {new Date(updatedAt).toLocaleTimeString()}
            </p>
          )}
        </div>
        {status && (
          <p className={`status-pill ${status === "live" ? "ok" : status === "ended" ? "muted" : "warn"}`} data-testid="report-status">
            {isRecording ? "From a recording" : STATUS_LABELS[status]}
          </p>
        )}
      </div>
      {error && (
        <div className="alert error" role="alert">
          <p>{report ? `The report could not be refreshed: ${error}` : error}</p>
          <button type="button" className="button secondary small-button" onClick={reload}>
            Try again
          </button>
        </div>
      )}
      {report ? (
        <ReportBody report={report} sessionId={sessionId} token={token} reload={reload} />
      ) : (
        !error && <p className="page-loading">Loading the report…</p>
      )}
    </PageShell>
  );
}
