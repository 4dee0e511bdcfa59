import type { Marker, ReadingBucket, SessionStatus } from "@emotion/protocol";

/** One listener's readings in one report bucket (the rollup shape that packages/db returns). */
export type BucketRow = ReadingBucket;

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
