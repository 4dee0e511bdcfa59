import type { RoomMood } from "@emotion/protocol";
import { describe, expect, it } from "vitest";
import { appendPoint, mergeBackfill, TIMELINE_WINDOW_MS, type TimelinePoint } from "./timeline";
import { formatClock, timeTicks } from "../shared/time";

const average = { angry: 0, disgust: 0, fear: 0, happy: 0.7, sad: 0, surprise: 0.1, neutral: 0.2 };
function mood(tMs: number, isPresent = true): RoomMood {
  return { sessionId: "s", at: tMs, tMs, listenerCount: 1, presentCount: isPresent ? 1 : 0, shares: average, average: isPresent ? average : null, tiles: [] };
}

describe("appendPoint", () => {
  it("appends the room average and leaves a gap when nobody is present", () => {
    const timeline = appendPoint(appendPoint([], mood(1000)), mood(2000, false));
    expect(timeline).toHaveLength(2);
    expect(timeline[0]!.happy).toBe(0.7);
    expect(timeline[1]!.happy).toBeNull();
  });

  it("ignores snapshots that are not newer (a reconnect repeats one)", () => {
    const timeline = appendPoint([], mood(1000));
    expect(appendPoint(timeline, mood(1000))).toBe(timeline);
  });

  it("keeps only the last five minutes", () => {
    let timeline: TimelinePoint[] = [];
    for (let t = 0; t <= TIMELINE_WINDOW_MS + 10_000; t += 1000) timeline = appendPoint(timeline, mood(t));
    expect(timeline[0]!.tMs).toBe(10_000);
    expect(timeline.at(-1)!.tMs).toBe(TIMELINE_WINDOW_MS + 10_000);
  });
});

describe("time axis", () => {
  it("puts ticks on round seconds and formats them as a clock", () => {
    expect(timeTicks(5_300, 13_900)).toEqual([6000, 8000, 10000, 12000]);
    expect(timeTicks(0, 300_000)).toEqual([0, 60000, 120000, 180000, 240000, 300000]);
    expect(formatClock(65_000)).toBe("1:05");
    expect(formatClock(3_725_000)).toBe("1:02:05");
  });
});

describe("mergeBackfill", () => {
  const bucket = (tMs: number, isFace = true) => ({ tMs, readings: 4, faces: isFace ? 4 : 0, average: isFace ? average : null, shares: average });

  it("fills the timeline from stored buckets before the first live point", () => {
    const live = appendPoint([], mood(5200));
    const merged = mergeBackfill(live, [bucket(2000), bucket(3000), bucket(4000), bucket(5000)], 1000);
    expect(merged.map((p) => p.tMs)).toEqual([2000, 3000, 4000, 5200]);
  });

  it("fills a hole left by a reconnect and keeps live points", () => {
    const live = appendPoint(appendPoint([], mood(1000)), mood(6000));
    const merged = mergeBackfill(live, [bucket(1000), bucket(3000, false), bucket(4000)], 1000);
    expect(merged.map((p) => p.tMs)).toEqual([1000, 3000, 4000, 6000]);
    expect(merged[1]!.happy).toBeNull();
  });

  it("drops leading buckets without faces and anything older than the window", () => {
    expect(mergeBackfill([], [bucket(0, false), bucket(1000)], 1000).map((p) => p.tMs)).toEqual([1000]);
    const late = appendPoint([], mood(TIMELINE_WINDOW_MS + 60_000));
    expect(mergeBackfill(late, [bucket(10_000), bucket(TIMELINE_WINDOW_MS + 59_000)], 1000).map((p) => p.tMs)).toEqual([
      TIMELINE_WINDOW_MS + 59_000,
      TIMELINE_WINDOW_MS + 60_000,
    ]);
    expect(mergeBackfill([], [bucket(0, false)], 1000)).toEqual([]);
  });
});
