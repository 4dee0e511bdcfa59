import type { KeyMoment } from "@emotion/protocol";
import { useState } from "react";
import { ApiError } from "../shared/api";
import { downloadWithToken } from "../shared/download";
import { EMOTION_COLORS, EMOTION_LABELS, formatPercent } from "../shared/emotions";
import { formatClock } from "../shared/time";
import type { GroupInfo } from "./report-data";

/** The largest sustained shifts of the room; each one can move every chart to its moment. */
export function KeyMoments({ moments, activeMs, onJump }: { moments: KeyMoment[]; activeMs: number | null; onJump(tMs: number): void }) {
  return (
    <section className="card" aria-labelledby="moments-heading" data-testid="key-moments">
      <h2 id="moments-heading">Key moments</h2>
      {moments.length === 0 ? (
        <p className="muted">No sustained shift of the room stood out.</p>
      ) : (
        <ol className="moments">
          {moments.map((m) => (
            <li key={`${m.tMs}-${m.signal}-${m.direction}`} className={activeMs === m.tMs ? "active" : undefined}>
              <span className="moment-time code">{formatClock(m.tMs)}</span>
              <span className="moment-text">
                <span className="swatch" style={{ background: m.signal === "presence" ? "#2f5d8a" : EMOTION_COLORS[m.signal] }} aria-hidden="true" />
                {m.description}
                {m.marker && (
                  <span className="marker-chip" title="The speaker’s latest marker before this moment">
                    marker {formatClock(m.marker.tMs)}
                  </span>
                )}
              </span>
              <button type="button" className="button secondary small-button" onClick={() => onJump(m.tMs)} data-testid="key-moment-jump">
                Show in charts
              </button>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** Listeners grouped by similar trajectories, each with its plain-language summary. */
export function Groups({ groups }: { groups: GroupInfo[] }) {
  return (
    <section className="card" aria-labelledby="groups-heading" data-testid="groups">
      <h2 id="groups-heading">Groups of listeners</h2>
      {groups.length === 0 ? (
        <p className="muted">Too few listeners with readings to form groups.</p>
      ) : (
        <ul className="groups">
          {groups.map((g) => (
            <li key={g.cluster.id} style={{ borderLeftColor: g.color }}>
              <p className="group-title">
                <span className="group-chip" style={{ background: g.color }}>
                  G{g.number}
                </span>
                Group {g.number} · {g.cluster.size === 1 ? "1 listener" : `${g.cluster.size} listeners`}
              </p>
              <p className="group-dominant">
                <span className="swatch" style={{ background: EMOTION_COLORS[g.cluster.dominant] }} aria-hidden="true" />
                Mostly {EMOTION_LABELS[g.cluster.dominant].toLowerCase()} ({formatPercent(g.cluster.distribution[g.cluster.dominant])})
              </p>
              <p>{g.cluster.summary}</p>
              <p className="muted small">{g.members.map((m) => m.name).join(", ")}</p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

const FILES = [
  { kind: "csv", label: "Download CSV", path: "export.csv", fallback: "readings.csv" },
  { kind: "pdf", label: "Download PDF", path: "report.pdf", fallback: "report.pdf" },
  { kind: "json", label: "Download JSON", path: "report", fallback: "report.json" },
] as const;

/** The three exports; fetched with the bearer token, since a plain link could not send it. */
export function Downloads({ sessionId, token }: { sessionId: string; token: string }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const save = async (file: (typeof FILES)[number]) => {
    setBusy(file.kind);
    setError(null);
    try {
      await downloadWithToken(`/api/sessions/${encodeURIComponent(sessionId)}/${file.path}`, token, file.fallback);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "The file could not be downloaded.");
    } finally {
      setBusy(null);
    }
  };
  return (
    <div className="downloads">
      <div className="row">
        {FILES.map((f) => (
          <button
            key={f.kind}
            type="button"
            className="button secondary"
            disabled={busy !== null}
            onClick={() => void save(f)}
            data-testid={`download-${f.kind}`}
          >
            {busy === f.kind ? "Preparing…" : f.label}
          </button>
        ))}
      </div>
      {error && (
        <p className="alert error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
