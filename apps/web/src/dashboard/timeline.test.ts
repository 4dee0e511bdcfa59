import type { RoomMood } from "@emotion/protocol";
import { describe, expect, it } from "vitest";
import { appendPoint, TIMELINE_WINDOW_MS, type TimelinePoint } from "./timeline";
import { formatClock, timeTicks } from "./timeline-chart";

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
