import type { Marker, SessionStatus } from "@emotion/protocol";

/**
 * Pre-aggregated readings of one listener in one fixed time bucket (the `reading_buckets` rollup):
 * what the report needs, without touching millions of raw readings.
 */
export interface BucketRow {
  participantId: string;
  /** Bucket index: the bucket covers [bucket * bucketMs, (bucket + 1) * bucketMs) from the session start. */
  bucket: number;
  /** All readings, no-face beats included. */
  readings: number;
  /** Readings where a face was seen (classified or refused by the quality gate). */
  faces: number;
  /** Readings with probabilities. */
  classified: number;
  /** Sum of each probability over the classified readings, in EMOTIONS order. */
  sums: number[];
  /** Count of classified readings per dominant emotion, in EMOTIONS order. */
  dominantCounts: number[];
}

export interface ReportParticipant {
  id: string;
  name: string;
  kind: "live" | "upload";
}

export interface ReportInput {
  session: {
    id: string;
    title: string;
    status: SessionStatus;
    startedAt: Date | null;
    endedAt: Date | null;
  };
  participants: ReportParticipant[];
  markers: Marker[];
  buckets: BucketRow[];
  /** Size of the rollup buckets in ms. */
  bucketMs: number;
  /** Session length in ms (ended - started, or now - started while live; or the video's length). */
  durationMs: number;
  /** Most points per timeline; rollup buckets are merged to stay under it (default 240). */
  maxPoints?: number;
  now?: Date;
}
