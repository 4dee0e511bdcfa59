import { z } from "zod";
import { CropBytes, CropSeq } from "./crop";
import { Emotion } from "./emotions";

/** Corrections one listener may send per minute (the server answers RATE_LIMITED beyond it). */
export const MAX_FEEDBACK_PER_MINUTE = 20;

/**
 * A listener's correction of one of its readings: the emotion they actually feel. `crop` (the very
 * crop of that reading, CROP_SIDE² grey bytes) is present only when the listener ticked the consent to
 * share it; it is the only face crop the platform ever stores, and only as training data.
 */
export const ListenerFeedback = z.object({
  v: z.literal(1),
  /** The seq of the crop whose reading is corrected (as sent in listener:crop). */
  seq: CropSeq,
  label: Emotion,
  crop: CropBytes.optional(),
});
export type ListenerFeedback = z.infer<typeof ListenerFeedback>;

/** The ack's data: the stored correction and what the model had said for that crop (null when no reading is stored for it). */
export const FeedbackAck = z.object({ id: z.string(), predicted: Emotion.nullable() });
export type FeedbackAck = z.infer<typeof FeedbackAck>;

/** What a withdrawal or a session's deletion removed. */
export const ContributionsDeleted = z.object({ corrections: z.number().int().min(0), samples: z.number().int().min(0) });
export type ContributionsDeleted = z.infer<typeof ContributionsDeleted>;

/** The report's summary of a session's corrections; crops are never part of it. */
export const CorrectionSummary = z.object({
  corrections: z.number().int().min(0),
  /** Corrections that came with a shared crop. */
  withCrop: z.number().int().min(0),
  /** Corrections whose label is what the model had read. */
  agreed: z.number().int().min(0),
  /** Counts per (model's reading, listener's label); predicted is null when no reading was stored for the crop. */
  confusion: z.array(z.object({ predicted: Emotion.nullable(), label: Emotion, n: z.number().int().min(1) })),
});
export type CorrectionSummary = z.infer<typeof CorrectionSummary>;
