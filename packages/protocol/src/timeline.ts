import { z } from "zod";
import { Probabilities } from "./emotions";

/** GET /api/sessions/:id/timeline query: a window in ms since the session went live. */
export const TimelineQuery = z.object({
  from: z.coerce.number().int().min(0).optional(),
  to: z.coerce.number().int().min(0).optional(),
  bucketMs: z.coerce.number().int().min(100, "bucketMs is at least 100").max(3_600_000, "bucketMs is at most 3600000").default(1000),
});
export type TimelineQuery = z.infer<typeof TimelineQuery>;

/** The room over one time bucket, from stored readings. */
export const TimelineBucket = z.object({
  /** Bucket start, ms since the session went live. */
  tMs: z.number(),
  /** Readings stored in the bucket (faces, refused faces, no-face beats). */
  readings: z.number().int(),
  /** Readings with a classified face. */
  faces: z.number().int(),
  /** Mean probabilities over those faces; null when there were none. */
  average: Probabilities.nullable(),
  /** Share of faces per dominant emotion, 0..1. */
  shares: Probabilities,
});
export type TimelineBucket = z.infer<typeof TimelineBucket>;

export const Timeline = z.object({ sessionId: z.string(), bucketMs: z.number(), buckets: z.array(TimelineBucket) });
export type Timeline = z.infer<typeof Timeline>;
