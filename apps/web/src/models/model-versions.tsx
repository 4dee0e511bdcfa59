import type { ActivationResult, ModelVersionView } from "@emotion/protocol";
import { useState } from "react";
import { ApiError } from "../shared/api";
import { formatAccuracy, formatMacs } from "./models-data";
import { promoteModel, rollbackModel } from "./use-models";

type Action = { kind: "promote"; version: number; force: boolean } | { kind: "rollback" };
type Step =
  | { kind: "idle" }
  | { kind: "confirm"; action: Action }
  | { kind: "working"; action: Action }
  | { kind: "done"; result: ActivationResult }
  | { kind: "error"; action: Action; message: string; isRefusal: boolean };

const STATUS_LABELS: Record<ModelVersionView["status"], string> = { active: "Active", candidate: "Candidate", retired: "Retired" };

function describe(action: Action): string {
  if (action.kind === "rollback") return "Roll back to the version that was active before the latest promotion?";
  return action.force
    ? `Promote version ${action.version} although it is worse on PublicTest? Every server switches to it within seconds.`
    : `Promote version ${action.version}? Every server switches to it within seconds, without a restart.`;
}

/** The registered versions with their figures, and promotion / rollback, each confirmed first. */
export function ModelVersions({ models, token, onChanged }: { models: ModelVersionView[]; token: string; onChanged(): void }) {
  const [step, setStep] = useState<Step>({ kind: "idle" });
  const isBusy = step.kind === "working";

  const run = async (action: Action) => {
    setStep({ kind: "working", action });
    try {
      const result = action.kind === "rollback" ? await rollbackModel(token) : await promoteModel(token, action.version, action.force);
      setStep({ kind: "done", result });
      onChanged();
    } catch (error) {
      const message = error instanceof ApiError ? error.message : "The server could not be reached.";
      // The promotion gate refuses a worse (or unmeasured) candidate with CONFLICT, saying it can be forced: offer that, behind its own confirmation.
      setStep({
        kind: "error",
        action,
        message,
        isRefusal: error instanceof ApiError && error.code === "CONFLICT" && /force/i.test(message) && action.kind === "promote" && !action.force,
      });
    }
  };
  const pending = step.kind === "confirm" || step.kind === "working" ? step.action : null;

  return (
    <section className="card" aria-labelledby="versions-heading" data-testid="model-versions">
      <div className="card-head">
        <h2 id="versions-heading">Versions</h2>
        <button
          type="button"
          className="button secondary small-button"
          onClick={() => setStep({ kind: "confirm", action: { kind: "rollback" } })}
          disabled={isBusy}
          data-testid="model-rollback"
        >
          Roll back
        </button>
      </div>
      <div className="table-scroll">
        <table className="models-table">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                PublicTest accuracy
              </th>
              <th scope="col" className="num">
                Feedback held out
              </th>
              <th scope="col" className="num">
                MACs per face
              </th>
              <th scope="col">Created</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {models.map((m) => (
              <tr key={m.version} className={m.active ? "active" : undefined} data-testid="model-row" data-version={m.version} data-status={m.status}>
                <th scope="row">
                  v{m.version} <span className="muted small">{m.source}</span>
                </th>
                <td>
                  <span className={`status-pill ${m.active ? "ok" : "muted"}`}>{STATUS_LABELS[m.status]}</span>
                </td>
                <td className="num">{formatAccuracy(m.publicTest.accuracy)}</td>
                <td className="num">{m.feedbackEval ? `${formatAccuracy(m.feedbackEval.accuracy)} (n = ${m.feedbackEval.n})` : "–"}</td>
                <td className="num">{formatMacs(m.macsPerFace)}</td>
                <td>
                  <time dateTime={m.createdAt}>{new Date(m.createdAt).toLocaleString()}</time>
                </td>
                <td>
                  {!m.active && (
                    <button
                      type="button"
                      className="button secondary small-button"
                      onClick={() => setStep({ kind: "confirm", action: { kind: "promote", version: m.version, force: false } })}
                      disabled={isBusy}
                      data-testid="model-promote"
                    >
                      Promote
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {pending && (
        <div className="alert info" role="alertdialog" aria-labelledby="model-action-question">
          <p id="model-action-question">{describe(pending)}</p>
          <div className="row">
            <button
              type="button"
              className="button primary small-button"
              onClick={() => void run(pending)}
              disabled={isBusy}
              data-testid="model-action-confirm"
              autoFocus
            >
              {isBusy ? "Working…" : pending.kind === "rollback" ? "Yes, roll back" : pending.force ? "Yes, force it" : "Yes, promote"}
            </button>
            <button type="button" className="button secondary small-button" onClick={() => setStep({ kind: "idle" })} disabled={isBusy}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {step.kind === "done" && (
        <p className="alert info" role="status" data-testid="model-action-result">
          Version {step.result.version} is active now{step.result.previous ? ` (was ${step.result.previous})` : ""}
          {step.result.forced ? ", forced" : ""}.
        </p>
      )}
      {step.kind === "error" && (
        <div className="alert error" role="alert" data-testid="model-action-error">
          <p>
            {step.action.kind === "rollback" ? "Not rolled back" : `Version ${step.action.version} not promoted`}: {step.message}
          </p>
          {step.isRefusal && step.action.kind === "promote" && (
            <button
              type="button"
              className="button danger-outline small-button"
              onClick={() =>
                setStep({ kind: "confirm", action: { kind: "promote", version: step.action.kind === "promote" ? step.action.version : 0, force: true } })
              }
              data-testid="model-force"
            >
              Promote anyway (force)
            </button>
          )}
        </div>
      )}
    </section>
  );
}
