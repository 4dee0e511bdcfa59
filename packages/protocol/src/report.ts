import { z } from "zod";
import { Emotion, Probabilities } from "./emotions";
import { CorrectionSummary } from "./feedback";
import { Marker, SessionStatus } from "./sessions";

/**
 * Pre-aggregated readings of one listener in one fixed time bucket (the `reading_buckets` rollup,
 * merged to the report's bucket size): what a report needs, without touching millions of raw readings.
 * Written by packages/db, read by packages/analytics.
 */
export interface ReadingBucket {
  participantId: string;
  /** Bucket index: the bucket covers [bucket * bucketMs, (bucket + 1) * bucketMs) from the session start. */
  bucket: number;
  /** All readings, no-face beats included. */
  readings: number;
  /** Readings where a face was seen (classified or refused by the quality gate). */
  faces: number;
  /** Readings with probabilities. */
  classified: number;
  /** Sum of each probability (0..1 units) over the classified readings, in EMOTIONS order. */
  sums: number[];
  /** Count of classified readings per dominant emotion, in EMOTIONS order. */
  dominantCounts: number[];
}

/** One time bucket of the room: mean probabilities over readings with a classified face. */
export const RoomPoint = z.object({
  tMs: z.number(),
  /** Listeners who sent anything in this bucket. */
  listeners: z.number(),
  /** Listeners with a face seen in this bucket. */
  present: z.number(),
  /** Share of readings with a face seen, 0..1. */
  presence: z.number(),
  average: Probabilities.nullable(),
});
export type RoomPoint = z.infer<typeof RoomPoint>;

export const ListenerPoint = z.object({
  tMs: z.number(),
  presence: z.number(),
  average: Probabilities.nullable(),
  dominant: Emotion.nullable(),
});
export type ListenerPoint = z.infer<typeof ListenerPoint>;

export const ListenerReport = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(["live", "upload"]),
  readings: z.number(),
  /** Share of this listener's readings with a face seen, 0..1. */
  presence: z.number(),
  dominant: Emotion.nullable(),
  distribution: Probabilities,
  clusterId: z.number().nullable(),
  timeline: z.array(ListenerPoint),
});
export type ListenerReport = z.infer<typeof ListenerReport>;

export const KeyMoment = z.object({
  tMs: z.number(),
  /** The emotion whose room share changed, or "presence". */
  signal: z.union([Emotion, z.literal("presence")]),
  direction: z.enum(["rise", "drop"]),
  /** Change in percentage points between the window before and the window after tMs. */
  deltaPoints: z.number(),
  before: z.number(),
  after: z.number(),
  /** The latest marker at or before tMs, if any. */
  marker: Marker.nullable(),
  description: z.string(),
});
export type KeyMoment = z.infer<typeof KeyMoment>;

export const Cluster = z.object({
  id: z.number(),
  size: z.number(),
  memberIds: z.array(z.string()),
  dominant: Emotion,
  distribution: Probabilities,
  summary: z.string(),
});
export type Cluster = z.infer<typeof Cluster>;

export const SessionReport = z.object({
  v: z.literal(1),
  session: z.object({
    id: z.string(),
    title: z.string(),
    status: SessionStatus,
    startedAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    durationMs: z.number(),
  }),
  bucketMs: z.number(),
  listenerCount: z.number(),
  readingCount: z.number(),
  /** Mean over listeners of their presence share, 0..1. */
  presence: z.number(),
  /** Share of classified readings per dominant emotion. */
  distribution: Probabilities,
  dominant: Emotion.nullable(),
  markers: z.array(Marker),
  room: z.array(RoomPoint),
  listeners: z.array(ListenerReport),
  keyMoments: z.array(KeyMoment),
  clusters: z.array(Cluster),
  summary: z.string(),
  generatedAt: z.string(),
  /** Listeners' corrections of their readings (counts only: the report never carries a crop); absent from older servers. */
  corrections: CorrectionSummary.optional(),
});
export type SessionReport = z.infer<typeof SessionReport>;
