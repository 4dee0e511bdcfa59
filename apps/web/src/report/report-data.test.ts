import type { SessionReport } from "@emotion/protocol";
import { describe, expect, it } from "vitest";
import { clipRows, focusAt, groupsOf, hasReadings, roomRows, timeEnd } from "./report-data";

const p = { angry: 0, disgust: 0, fear: 0, happy: 0.6, sad: 0, surprise: 0.1, neutral: 0.3 };

function report(over: Partial<SessionReport> = {}): SessionReport {
  return {
    v: 1,
    session: { id: "s", title: "Talk", status: "ended", startedAt: null, endedAt: null, durationMs: 8000 },
    bucketMs: 5000,
    listenerCount: 2,
    readingCount: 30,
    presence: 0.8,
    distribution: p,
    dominant: "happy",
    markers: [],
    room: [
      { tMs: 0, listeners: 2, present: 2, presence: 1, average: p },
      { tMs: 5000, listeners: 1, present: 0, presence: 0, average: null },
    ],
    listeners: [
      { id: "a", name: "Face 1", kind: "upload", readings: 16, presence: 1, dominant: "happy", distribution: p, clusterId: 0, timeline: [] },
      { id: "b", name: "Face 2", kind: "upload", readings: 14, presence: 0.6, dominant: "neutral", distribution: p, clusterId: 1, timeline: [] },
    ],
    keyMoments: [],
    clusters: [
      { id: 0, size: 1, memberIds: ["a"], dominant: "happy", distribution: p, summary: "Happy." },
      { id: 1, size: 1, memberIds: ["b", "gone"], dominant: "neutral", distribution: p, summary: "Calm." },
    ],
    summary: "Mostly happy.",
    generatedAt: new Date(0).toISOString(),
    ...over,
  };
}

describe("report chart data", () => {
  it("turns room buckets into stacked rows with gaps, closed at the last bucket's end", () => {
    const rows = roomRows(report());
    expect(rows.map((r) => r.tMs)).toEqual([0, 5000, 10_000]);
    expect(rows[0]!.happy).toBe(0.6);
    expect(rows[1]!.happy).toBeNull();
    expect(rows[2]).toMatchObject({ listeners: 1, happy: null });
  });

  it("ends the time axis at the duration or the last bucket's end, whichever is later", () => {
    expect(timeEnd(report())).toBe(10_000);
    expect(timeEnd(report({ session: { ...report().session, durationMs: 60_000 } }))).toBe(60_000);
  });

  it("jumps to a window around a moment, inside the session, and clips rows to it", () => {
    const focus = focusAt(300_000, 1_200_000, 5000);
    expect(focus).toMatchObject({ tMs: 300_000, from: 150_000, to: 450_000 });
    expect(focus.highlight.from).toBeLessThan(300_000);
    expect(focus.highlight.to).toBeGreaterThan(300_000);
    expect(focusAt(2000, 10_000, 5000)).toMatchObject({ from: 0, to: 10_000 });
    const rows = [0, 100_000, 200_000, 300_000, 400_000, 500_000].map((tMs) => ({ tMs }));
    expect(clipRows(rows, focus).map((r) => r.tMs)).toEqual([100_000, 200_000, 300_000, 400_000, 500_000]);
    expect(clipRows(rows, null)).toBe(rows);
  });

  it("numbers groups from 1, gives each a colour and resolves member names", () => {
    const groups = groupsOf(report());
    expect(groups.get(1)).toMatchObject({ number: 2, members: [{ name: "Face 2" }] });
    expect(groups.get(0)!.color).not.toBe(groups.get(1)!.color);
  });

  it("knows when there is nothing to chart", () => {
    expect(hasReadings(report())).toBe(true);
    expect(hasReadings(report({ readingCount: 0, room: [] }))).toBe(false);
  });
});
