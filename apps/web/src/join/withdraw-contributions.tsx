import { ContributionsDeleted } from "@emotion/protocol";
import { useState } from "react";
import { ApiError, requestJson } from "../shared/api";

type Step = { kind: "idle" } | { kind: "confirm" } | { kind: "working" } | { kind: "done"; deleted: ContributionsDeleted } | { kind: "error"; message: string };

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** "Withdraw my contributions": deletes this listener's corrections and shared crops, after a confirmation. */
export function WithdrawContributions({ identity }: { identity: { participantId: string; participantToken: string } | null }) {
  const [step, setStep] = useState<Step>({ kind: "idle" });
  if (!identity) return null;

  const withdraw = async () => {
    setStep({ kind: "working" });
    try {
      const deleted = await requestJson(
        `/api/participants/me/contributions?participantId=${encodeURIComponent(identity.participantId)}`,
        ContributionsDeleted,
        {
          method: "DELETE",
          token: identity.participantToken,
        },
      );
      setStep({ kind: "done", deleted });
    } catch (error) {
      setStep({ kind: "error", message: error instanceof ApiError ? error.message : "The server could not be reached." });
    }
  };

  return (
    <div className="withdraw" data-testid="withdraw">
      {step.kind === "confirm" || step.kind === "working" ? (
        <div className="alert info" role="alertdialog" aria-labelledby="withdraw-question">
          <p id="withdraw-question">Delete all your corrections and every face crop you shared in this session? This cannot be undone.</p>
          <div className="row">
            <button
              type="button"
              className="button danger small-button"
              onClick={() => void withdraw()}
              disabled={step.kind === "working"}
              data-testid="withdraw-confirm"
              autoFocus
            >
              {step.kind === "working" ? "Deleting…" : "Yes, delete them"}
            </button>
            <button type="button" className="button secondary small-button" onClick={() => setStep({ kind: "idle" })} disabled={step.kind === "working"}>
              Keep them
            </button>
          </div>
        </div>
      ) : (
        <button type="button" className="button ghost small-button" onClick={() => setStep({ kind: "confirm" })} data-testid="withdraw-open">
          Withdraw my contributions
        </button>
      )}
      {step.kind === "done" && (
        <p className="muted small" role="status" data-testid="withdraw-result">
          Deleted {plural(step.deleted.corrections, "correction", "corrections")} and {plural(step.deleted.samples, "shared face crop", "shared face crops")}.
        </p>
      )}
      {step.kind === "error" && (
        <p className="alert error" role="alert" data-testid="withdraw-error">
          Nothing was deleted: {step.message}
        </p>
      )}
    </div>
  );
}
