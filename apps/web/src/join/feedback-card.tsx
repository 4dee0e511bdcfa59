import { FeedbackPanel, type FeedbackPanelProps } from "./feedback-panel";
import { WithdrawContributions } from "./withdraw-contributions";

/** Below the self view (outside its live region, so choosing is not read out with every reading): correct a reading, withdraw. */
export function FeedbackCard({ identity, ...panel }: FeedbackPanelProps & { identity: { participantId: string; participantToken: string } | null }) {
  return (
    <section className="card feedback-card" aria-labelledby="feedback-heading" data-testid="feedback-card">
      <h2 id="feedback-heading">Is this reading right?</h2>
      <p className="muted small">If it is not, tell the model what you actually feel. This helps it learn; the speaker only ever sees counts.</p>
      <FeedbackPanel {...panel} />
      <WithdrawContributions identity={identity} />
    </section>
  );
}
