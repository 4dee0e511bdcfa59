import { ContributionsDeleted, type CorrectionSummary } from "@emotion/protocol";
import { useState } from "react";
import { ApiError, requestJson } from "../shared/api";
import { EMOTION_COLORS, EMOTION_LABELS, formatPercent } from "../shared/emotions";
import { agreementOf, disagreementsOf } from "./corrections-data";
import "./corrections.css";

type Deletion =
  { kind: "idle" } | { kind: "confirm" } | { kind: "working" } | { kind: "done"; deleted: ContributionsDeleted } | { kind: "error"; message: string };

function EmotionName({ emotion }: { emotion: keyof typeof EMOTION_LABELS | null }) {
  if (!emotion) return <span className="muted">no reading</span>;
  return (
    <span className="nowrap">
      <span className="swatch" style={{ background: EMOTION_COLORS[emotion] }} aria-hidden="true" />
      {EMOTION_LABELS[emotion]}
    </span>
  );
}

/** How listeners corrected the model in this session: counts and disagreements only; the speaker never sees a crop. */
export function CorrectionsSection({
  summary,
  sessionId,
  token,
  onDeleted,
}: {
  summary: CorrectionSummary;
  sessionId: string;
  token: string;
  onDeleted(): void;
}) {
  const [deletion, setDeletion] = useState<Deletion>({ kind: "idle" });
  const agreement = agreementOf(summary);
  const disagreements = disagreementsOf(summary);

  const remove = async () => {
    setDeletion({ kind: "working" });
    try {
      const deleted = await requestJson(`/api/sessions/${encodeURIComponent(sessionId)}/contributions`, ContributionsDeleted, { method: "DELETE", token });
      setDeletion({ kind: "done", deleted });
      onDeleted();
    } catch (error) {
      setDeletion({ kind: "error", message: error instanceof ApiError ? error.message : "The server could not be reached." });
    }
  };

  return (
    <section className="card" aria-labelledby="corrections-heading" data-testid="corrections">
      <h2 id="corrections-heading">Listeners’ corrections</h2>
      {summary.corrections === 0 ? (
        <p className="muted" data-testid="corrections-empty">
          No listener corrected a reading in this session.
        </p>
      ) : (
        <>
          <div className="report-stats">
            <p className="stat left">
              <span className="stat-value" data-testid="corrections-count">
                {summary.corrections}
              </span>
              <span className="stat-label">{summary.corrections === 1 ? "correction" : "corrections"}</span>
            </p>
            <p className="stat left">
              <span className="stat-value" data-testid="corrections-with-crop">
                {summary.withCrop}
              </span>
              <span className="stat-label">with a shared face crop</span>
            </p>
            <p className="stat left">
              <span className="stat-value" data-testid="corrections-agreement">
                {agreement === null ? "–" : formatPercent(agreement)}
              </span>
              <span className="stat-label">agreed with the model</span>
            </p>
          </div>
          {disagreements.length === 0 ? (
            <p className="muted">Every correction confirmed what the model had read.</p>
          ) : (
            <table className="corrections-table" data-testid="corrections-table">
              <caption className="visually-hidden">Where listeners disagreed with the model</caption>
              <thead>
                <tr>
                  <th scope="col">The model read</th>
                  <th scope="col" aria-hidden="true" />
                  <th scope="col">The listener said</th>
                  <th scope="col" className="num">
                    Times
                  </th>
                </tr>
              </thead>
              <tbody>
                {disagreements.map((d) => (
                  <tr key={`${d.predicted}-${d.label}`}>
                    <td>
                      <EmotionName emotion={d.predicted} />
                    </td>
                    <td className="arrow" aria-hidden="true">
                      →
                    </td>
                    <td>
                      <EmotionName emotion={d.label} />
                    </td>
                    <td className="num">{d.n}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p className="muted small">Shared crops are training data only: they are never shown here or anywhere else to the speaker.</p>
        </>
      )}
      <div className="corrections-delete">
        {deletion.kind === "confirm" || deletion.kind === "working" ? (
          <div className="alert info" role="alertdialog" aria-labelledby="corrections-delete-question">
            <p id="corrections-delete-question">
              Delete every correction and shared face crop of this session? Models already trained keep what they learnt; nothing else is deleted.
            </p>
            <div className="row">
              <button
                type="button"
                className="button danger small-button"
                onClick={() => void remove()}
                disabled={deletion.kind === "working"}
                data-testid="corrections-delete-confirm"
                autoFocus
              >
                {deletion.kind === "working" ? "Deleting…" : "Yes, delete them"}
              </button>
              <button
                type="button"
                className="button secondary small-button"
                onClick={() => setDeletion({ kind: "idle" })}
                disabled={deletion.kind === "working"}
              >
                Cancel
              </button>
            </div>
          </div>
        ) : (
          <button
            type="button"
            className="button danger-outline small-button"
            onClick={() => setDeletion({ kind: "confirm" })}
            disabled={summary.corrections === 0}
            data-testid="corrections-delete"
          >
            Delete corrections and shared crops of this session
          </button>
        )}
        {deletion.kind === "done" && (
          <p className="muted small" role="status" data-testid="corrections-deleted">
            Deleted {deletion.deleted.corrections} {deletion.deleted.corrections === 1 ? "correction" : "corrections"} and {deletion.deleted.samples} shared{" "}
            {deletion.deleted.samples === 1 ? "crop" : "crops"}.
          </p>
        )}
        {deletion.kind === "error" && (
          <p className="alert error" role="alert">
            Nothing was deleted: {deletion.message}
          </p>
        )}
      </div>
    </section>
  );
}
