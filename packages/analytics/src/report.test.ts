import { describe, expect, it } from "vitest";
import { EMOTIONS, SessionReport } from "@emotion/protocol";
import { buildReport } from "./report";
import { formatClock } from "./moments";
import type { BucketRow } from "./types";

const vec = (p: Partial<Record<(typeof EMOTIONS)[number], number>>) => EMOTIONS.map((e) => p[e] ?? 0);

/** n readings with the same probabilities (or no-face beats when p is null). */
function bucket(participantId: string, b: number, p: number[] | null, n = 4): BucketRow {
  if (!p) return { participantId, bucket: b, readings: n, faces: 0, classified: 0, sums: vec({}), dominantCounts: vec({}) };
  const dom = p.indexOf(Math.max(...p));
  return { participantId, bucket: b, readings: n, faces: n, classified: n, sums: p.map((v) => v * n), dominantCounts: p.map((_, k) => (k === dom ? n : 0)) };
}

// 2 minutes in 10 s buckets. A and B: neutral, then happy from 60 s. C and D: sad throughout; D's camera sees no face for 30 s.
const calm = vec({ neutral: 0.9, happy: 0.1 });
const joy = vec({ happy: 0.8, neutral: 0.2 });
const gloom = vec({ sad: 0.7, neutral: 0.3 });
const rows: BucketRow[] = [];
for (let b = 0; b < 12; b++) {
  rows.push(bucket("A", b, b < 6 ? calm : joy), bucket("B", b, b < 6 ? calm : joy), bucket("C", b, gloom), bucket("D", b, b < 3 ? null : gloom));
}
const report = buildReport({
  session: { id: "s1", title: "Quarterly update", status: "ended", startedAt: new Date(0), endedAt: new Date(120_000) },
  participants: ["A", "B", "C", "D"].map((id) => ({ id, name: `Listener ${id}`, kind: "live" as const })),
  markers: [{ id: "m1", label: "slide 2", tMs: 55_000 }],
  buckets: rows,
  bucketMs: 10_000,
  durationMs: 120_000,
  now: new Date(0),
});

describe("buildReport on seeded readings (values computed by hand)", () => {
  it("matches the published schema", () => {
    expect(() => SessionReport.parse(report)).not.toThrow();
  });

  it("counts listeners, readings, presence and the emotion distribution", () => {
    expect(report.listenerCount).toBe(4);
    expect(report.readingCount).toBe(4 * 12 * 4);
    expect(report.presence).toBeCloseTo((1 + 1 + 1 + 36 / 48) / 4, 4); // 0.9375
    // classified: A 48, B 48, C 48, D 36 = 180; dominant neutral 48, happy 48, sad 84
    expect(report.distribution.neutral).toBeCloseTo(48 / 180, 4);
    expect(report.distribution.happy).toBeCloseTo(48 / 180, 4);
    expect(report.distribution.sad).toBeCloseTo(84 / 180, 4);
    expect(report.dominant).toBe("sad");
  });

  it("builds the room timeline with one vote per present listener", () => {
    expect(report.room).toHaveLength(12);
    expect(report.room[0]).toMatchObject({ tMs: 0, listeners: 4, present: 3, presence: 0.75 });
    expect(report.room[0]!.average!.happy).toBeCloseTo((0.1 + 0.1 + 0) / 3, 4);
    expect(report.room[6]!.average!.happy).toBeCloseTo((0.8 + 0.8) / 4, 4);
    expect(report.room[6]!.average!.sad).toBeCloseTo((0.7 + 0.7) / 4, 4);
  });

  it("gives each listener a timeline, with gaps where no face was seen", () => {
    const d = report.listeners.find((l) => l.id === "D")!;
    expect(d.presence).toBeCloseTo(0.75, 4);
    expect(d.timeline[0]).toMatchObject({ tMs: 0, presence: 0, average: null, dominant: null });
    expect(d.timeline[5]!.dominant).toBe("sad");
    const a = report.listeners.find((l) => l.id === "A")!;
    expect(a.timeline[0]!.dominant).toBe("neutral");
    expect(a.timeline[11]!.dominant).toBe("happy");
    expect(a.distribution.happy).toBeCloseTo(0.5, 4);
  });

  it("finds the sustained shifts: presence and sadness up at 0:30, happiness up and neutral down at 1:00", () => {
    const moments = report.keyMoments.map((m) => [m.signal, m.direction, m.tMs, m.deltaPoints]);
    expect(moments).toEqual([
      ["presence", "rise", 30_000, 25],
      // D's face appears: sad goes from 0.7/3 to 1.4/4 of the room
      ["sad", "rise", 30_000, 11.7],
      ["happy", "rise", 60_000, 35],
      ["neutral", "drop", 60_000, -35],
    ]);
    const happy = report.keyMoments.find((m) => m.signal === "happy")!;
    expect(happy.before).toBeCloseTo(0.05, 3);
    expect(happy.after).toBeCloseTo(0.4, 3);
    expect(happy.marker?.label).toBe("slide 2");
    expect(happy.description).toBe("Happiness rose from 5% to 40% (+35 pts) at 1:00, after “slide 2”.");
    expect(report.keyMoments[0]!.marker).toBeNull();
  });

  it("groups listeners by trajectory: {A, B} and {C, D}", () => {
    expect(report.clusters).toHaveLength(2);
    const groups = report.clusters.map((c) => [...c.memberIds].sort().join(""));
    expect(groups.sort()).toEqual(["AB", "CD"]);
    const ab = report.clusters.find((c) => c.memberIds.includes("A"))!;
    expect(ab.summary).toMatch(/^2 listeners, mostly (neutral|happy)/);
    expect(ab.summary).toMatch(/(happy grew|neutral faded) in the second half \((\+|-)70 pts\)/);
    const cd = report.clusters.find((c) => c.memberIds.includes("C"))!;
    expect(cd.dominant).toBe("sad");
    const byId = new Map(report.listeners.map((l) => [l.id, l.clusterId]));
    expect(byId.get("A")).toBe(byId.get("B"));
    expect(byId.get("C")).toBe(byId.get("D"));
    expect(byId.get("A")).not.toBe(byId.get("C"));
  });

  it("writes a plain-language summary", () => {
    expect(report.summary).toContain("Over 2:00, 4 listeners were measured; a face was seen 94% of the time.");
    expect(report.summary).toContain("mostly sadness (47% of readings)");
    expect(report.summary).toContain("Biggest moment:");
    expect(report.summary).toContain("2 groups");
  });

  it("merges buckets to stay under maxPoints and keeps one group when everyone behaves alike", () => {
    const same = Array.from({ length: 100 }, (_, b) => ["X", "Y", "Z"].map((id) => bucket(id, b, calm))).flat();
    const r = buildReport({
      session: { id: "s2", title: "t", status: "live", startedAt: new Date(0), endedAt: null },
      participants: ["X", "Y", "Z"].map((id) => ({ id, name: id, kind: "upload" as const })),
      markers: [],
      buckets: same,
      bucketMs: 5_000,
      durationMs: 500_000,
      maxPoints: 30,
    });
    expect(r.room).toHaveLength(25); // factor 4: 100 buckets -> 25 points of 20 s
    expect(r.bucketMs).toBe(20_000);
    expect(r.clusters).toHaveLength(1);
    expect(r.keyMoments).toEqual([]);
  });

  it("names a runner-up emotion only when it is seen", () => {
    const only = buildReport({
      session: { id: "o", title: "One", status: "ended", startedAt: new Date(0), endedAt: new Date(10_000) },
      participants: [{ id: "A", name: "A", kind: "live" }],
      markers: [],
      buckets: [bucket("A", 0, calm), bucket("A", 1, calm)],
      bucketMs: 5000,
      durationMs: 10_000,
    });
    expect(only.summary).toContain("The room was mostly neutral expressions (100% of readings).");
  });

  it("handles a session without readings", () => {
    const r = buildReport({
      session: { id: "e", title: "Empty", status: "scheduled", startedAt: null, endedAt: null },
      participants: [],
      markers: [],
      buckets: [],
      bucketMs: 5000,
      durationMs: 0,
    });
    expect(r.readingCount).toBe(0);
    expect(r.summary).toBe("No readings were recorded in “Empty”.");
  });
});

describe("formatClock", () => {
  it("formats m:ss and h:mm:ss", () => {
    expect(formatClock(0)).toBe("0:00");
    expect(formatClock(61_000)).toBe("1:01");
    expect(formatClock(3_725_000)).toBe("1:02:05");
  });
});
