import type { Emotion, FeedbackAck, ReadingAck } from "@emotion/protocol";
import { useEffect, useId, useRef, useState } from "react";
import { ApiError } from "../shared/api";
import { EMOTION_COLORS, EMOTION_LABELS, EMOTIONS } from "../shared/emotions";
import "./feedback.css";

/** The reading the listener disagreed with, frozen when "Not right?" was opened (the live one moves on 4 times a second). */
interface Disputed {
  seq: number;
  shown: Emotion;
  /** A copy of that reading's crop; null in frame mode or when it is no longer kept. */
  crop: Uint8Array | null;
}

type Outcome = { kind: "sent"; label: Emotion; ack: FeedbackAck; shared: boolean } | { kind: "error"; message: string };

export interface FeedbackPanelProps {
  reading: ReadingAck | null;
  isActive: boolean;
  cropOf(seq: number): Uint8Array | null;
  send(seq: number, label: Emotion, crop: Uint8Array | null): Promise<FeedbackAck>;
}

function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return "The server did not answer in time. Your correction may not have been recorded; try again.";
}

/** "Not right?": the listener says what they actually feel and, only if they tick it, shares the crop of that reading. */
export function FeedbackPanel({ reading, isActive, cropOf, send }: FeedbackPanelProps) {
  const [disputed, setDisputed] = useState<Disputed | null>(null);
  const [label, setLabel] = useState<Emotion | null>(null);
  const [share, setShare] = useState(false);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const panelId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  // Keyboard users land in the panel they opened (its button is gone).
  useEffect(() => headingRef.current?.focus(), [disputed?.seq]);
  const shown = (reading?.smoothed ?? reading)?.dominant ?? null;

  const open = () => {
    if (!reading || !shown) return;
    const crop = cropOf(reading.seq);
    setDisputed({ seq: reading.seq, shown, crop: crop ? crop.slice() : null });
    setLabel(null);
    setShare(false);
    setOutcome(null);
  };
  const close = () => setDisputed(null);

  const submit = async () => {
    if (!disputed || !label) return;
    const crop = share ? disputed.crop : null;
    setBusy(true);
    try {
      const ack = await send(disputed.seq, label, crop);
      setOutcome({ kind: "sent", label, ack, shared: crop !== null });
      setDisputed(null);
    } catch (error) {
      setOutcome({ kind: "error", message: messageOf(error) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="feedback" data-testid="feedback">
      {!disputed && (
        <button
          type="button"
          className="button secondary small-button"
          onClick={open}
          disabled={!isActive || !shown}
          aria-expanded={false}
          data-testid="feedback-open"
        >
          Not right?
        </button>
      )}
      {outcome?.kind === "sent" && !disputed && (
        <p className="alert info feedback-result" role="status" data-testid="feedback-confirmation">
          Thank you: recorded as <strong>{EMOTION_LABELS[outcome.label]}</strong>
          {outcome.ack.predicted && outcome.ack.predicted !== outcome.label
            ? ` (the model had read ${EMOTION_LABELS[outcome.ack.predicted].toLowerCase()})`
            : ""}
          . {outcome.shared ? "Your 48×48 grey face crop was shared to improve the model." : "No image was shared, only your answer."}
        </p>
      )}
      {disputed && (
        <section id={panelId} className="feedback-panel" aria-labelledby={`${panelId}-title`} data-testid="feedback-panel">
          <h3 id={`${panelId}-title`} ref={headingRef} tabIndex={-1}>
            How do you actually feel?
          </h3>
          <p className="muted small">
            The reading was <strong>{EMOTION_LABELS[disputed.shown]}</strong>. Pick the emotion you feel; the speaker does not see your answer.
          </p>
          <div className="feedback-choices" role="group" aria-label="The emotion you actually feel">
            {EMOTIONS.map((e) => (
              <button
                key={e}
                type="button"
                className={`button secondary small-button feedback-choice${label === e ? " chosen" : ""}`}
                aria-pressed={label === e}
                onClick={() => setLabel(e)}
                data-testid={`feedback-label-${e}`}
              >
                <span className="swatch" style={{ background: EMOTION_COLORS[e] }} aria-hidden="true" />
                {EMOTION_LABELS[e]}
              </button>
            ))}
          </div>
          <div className="feedback-consent">
            <label className="radio">
              <input
                type="checkbox"
                checked={share}
                disabled={!disputed.crop}
                onChange={(event) => setShare(event.target.checked)}
                aria-describedby={`${panelId}-consent-help`}
                data-testid="feedback-share-crop"
              />
              Share this 48×48 grey face crop to improve the model
            </label>
            {disputed.crop && <CropPreview crop={disputed.crop} />}
            <p id={`${panelId}-consent-help`} className="muted small">
              {disputed.crop
                ? "Optional. Only with this ticked is the crop kept, with your answer, as training data. It is never shown to the speaker, and you can withdraw it at any time."
                : "No face crop is available for this reading (it was made on the server, or is too old), so only your answer can be sent."}
            </p>
          </div>
          {outcome?.kind === "error" && (
            <p className="alert error" role="alert" data-testid="feedback-error">
              Not recorded: {outcome.message}
            </p>
          )}
          <div className="row">
            <button type="button" className="button primary" onClick={() => void submit()} disabled={!label || busy} data-testid="feedback-send">
              {busy ? "Sending…" : "Send correction"}
            </button>
            <button type="button" className="button ghost" onClick={close} disabled={busy}>
              Cancel
            </button>
          </div>
        </section>
      )}
    </div>
  );
}

/** The listener's own crop, drawn at twice its size: what they would share, shown only to them. */
function CropPreview({ crop }: { crop: Uint8Array }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const side = Math.round(Math.sqrt(crop.length));
  useEffect(() => {
    const context = canvasRef.current?.getContext("2d");
    if (!context) return;
    const image = context.createImageData(side, side);
    crop.forEach((grey, i) => image.data.set([grey, grey, grey, 255], i * 4));
    context.putImageData(image, 0, 0);
  }, [crop, side]);
  return <canvas ref={canvasRef} width={side} height={side} className="crop-preview" role="img" aria-label="The grey face crop that would be shared" />;
}
