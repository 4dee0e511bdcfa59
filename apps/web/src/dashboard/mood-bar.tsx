import type { RoomMood } from "@emotion/protocol";
import { memo } from "react";
import { EMOTION_COLORS, EMOTION_LABELS, EMOTIONS, formatPercent } from "../shared/emotions";

/** Share of present listeners per dominant emotion, as one stacked bar and a legend. */
export const MoodBar = memo(function MoodBar({ shares, presentCount }: { shares: RoomMood["shares"] | null; presentCount: number }) {
  const leading = shares && presentCount > 0 ? EMOTIONS.reduce((best, e) => (shares[e] > shares[best] ? e : best), EMOTIONS[0]) : null;
  return (
    <section className="card mood" aria-labelledby="mood-heading">
      <div className="card-head">
        <h2 id="mood-heading">Room mood now</h2>
        <p className="muted small">{presentCount === 1 ? "1 face in view" : `${presentCount} faces in view`}</p>
      </div>
      {leading && shares ? (
        <p className="mood-headline" data-testid="room-mood">
          <span className="swatch large" style={{ background: EMOTION_COLORS[leading] }} aria-hidden="true" />
          Mostly <strong>{EMOTION_LABELS[leading].toLowerCase()}</strong> <span className="muted">({formatPercent(shares[leading])} of faces)</span>
        </p>
      ) : (
        <p className="mood-headline muted" data-testid="room-mood">
          No faces in view yet.
        </p>
      )}
      <div
        className="share-bar"
        role="img"
        aria-label={shares ? EMOTIONS.map((e) => `${EMOTION_LABELS[e]} ${formatPercent(shares[e])}`).join(", ") : "No data"}
      >
        {shares &&
          presentCount > 0 &&
          EMOTIONS.filter((e) => shares[e] > 0).map((e) => (
            <span
              key={e}
              className="share-segment"
              style={{ width: `${shares[e] * 100}%`, background: EMOTION_COLORS[e] }}
              title={`${EMOTION_LABELS[e]} ${formatPercent(shares[e])}`}
            />
          ))}
      </div>
      <ul className="legend">
        {EMOTIONS.map((e) => (
          <li key={e}>
            <span className="swatch" style={{ background: EMOTION_COLORS[e] }} aria-hidden="true" />
            {EMOTION_LABELS[e]} <span className="muted">{shares && presentCount > 0 ? formatPercent(shares[e]) : "–"}</span>
          </li>
        ))}
      </ul>
    </section>
  );
});
