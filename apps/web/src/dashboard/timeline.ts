import type { Probabilities, RoomMood, TimelineBucket } from "@emotion/protocol";

/** One point of the rolling timeline: ms since the session went live and the room's mean probabilities. */
export type TimelinePoint = { tMs: number } & { [K in keyof Probabilities]: number | null };

export const TIMELINE_WINDOW_MS = 5 * 60 * 1000;

const EMPTY_POINT = { angry: null, disgust: null, fear: null, happy: null, sad: null, surprise: null, neutral: null };

/** Appends a mood to the timeline, dropping points older than the window; gaps (nobody present) stay null. */
export function appendPoint(timeline: TimelinePoint[], mood: RoomMood): TimelinePoint[] {
  const last = timeline[timeline.length - 1];
  if (last && mood.tMs <= last.tMs) return timeline;
  const point: TimelinePoint = { tMs: mood.tMs, ...(mood.average ?? EMPTY_POINT) };
  const cutoff = mood.tMs - TIMELINE_WINDOW_MS;
  let start = 0;
  while (start < timeline.length && timeline[start]!.tMs < cutoff) start++;
  return [...timeline.slice(start), point];
}

/**
 * Merges stored buckets (GET /api/sessions/:id/timeline) into the live timeline, so that a reload
 * or a reconnect does not start empty or leave a hole. Live points win: a bucket is used only where
 * no live point falls inside it. Leading buckets without faces are dropped, as live ones are.
 */
export function mergeBackfill(timeline: TimelinePoint[], buckets: TimelineBucket[], bucketMs: number): TimelinePoint[] {
  const fill = buckets
    .filter((b) => !timeline.some((p) => p.tMs >= b.tMs && p.tMs < b.tMs + bucketMs))
    .map((b): TimelinePoint => ({ tMs: b.tMs, ...(b.average ?? EMPTY_POINT) }));
  if (fill.length === 0) return timeline;
  const merged = [...fill, ...timeline].sort((a, b) => a.tMs - b.tMs);
  const firstFace = merged.findIndex((p) => p.neutral !== null);
  if (firstFace === -1) return timeline;
  const cutoff = merged[merged.length - 1]!.tMs - TIMELINE_WINDOW_MS;
  return merged.slice(firstFace).filter((p) => p.tMs >= cutoff);
}
