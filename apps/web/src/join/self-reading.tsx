import type { ReadingAck } from "@emotion/protocol";
import { EMOTION_COLORS, EMOTION_LABELS, EMOTIONS, formatPercent } from "../shared/emotions";

const ISSUE_HINTS: Record<string, string> = {
  no_face: "No face in view. Sit facing the camera.",
  too_small: "Your face looks small. Move a little closer.",
  too_blurred: "The picture is blurred. Hold still or add light.",
  turned_away: "Your face is turned away. Look towards the screen.",
};

/** The listener's own latest reading, as the speaker sees it: filtered over the last readings when the server filters. */
export function SelfReading({ reading, isActive }: { reading: ReadingAck | null; isActive: boolean }) {
  const shown = reading?.smoothed ?? reading;
  const dominant = shown?.dominant ?? null;
  const probabilities = shown?.probabilities ?? null;
  return (
    <section className="card self-reading" data-testid="self-reading" data-emotion={dominant ?? ""} aria-live="polite" aria-labelledby="self-heading">
      <h2 id="self-heading">What the speaker sees</h2>
      {!isActive ? (
        <p className="muted">Nothing is being measured right now.</p>
      ) : !reading ? (
        <p className="muted">Waiting for the first reading…</p>
      ) : dominant && probabilities ? (
        <>
          <p className="dominant">
            <span className="swatch large" style={{ background: EMOTION_COLORS[dominant] }} aria-hidden="true" />
            {EMOTION_LABELS[dominant]} <span className="muted">{formatPercent(probabilities[dominant])}</span>
          </p>
          <ul className="prob-bars">
            {EMOTIONS.map((e) => (
              <li key={e}>
                <span className="prob-label">{EMOTION_LABELS[e]}</span>
                <span
                  className="prob-track"
                  role="meter"
                  aria-label={EMOTION_LABELS[e]}
                  aria-valuemin={0}
                  aria-valuemax={100}
                  aria-valuenow={Math.round(probabilities[e] * 100)}
                >
                  <span className="prob-fill" style={{ width: formatPercent(probabilities[e]), background: EMOTION_COLORS[e] }} />
                </span>
                <span className="prob-value">{formatPercent(probabilities[e])}</span>
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p className="hint">{ISSUE_HINTS[reading.quality] ?? ISSUE_HINTS.no_face}</p>
      )}
    </section>
  );
}
