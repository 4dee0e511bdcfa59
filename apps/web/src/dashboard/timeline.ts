import type { Probabilities, RoomMood } from "@emotion/protocol";

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
