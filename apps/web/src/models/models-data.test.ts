import type { ModelMonitoring, MonitorBucket } from "@emotion/protocol";
import { describe, expect, it } from "vitest";
import { chartedVersions, confusionMatrix, formatAccuracy, formatMacs, metricRows, rateAxis, roundTimeTicks } from "./models-data";

const bucket = (start: number, over: Partial<MonitorBucket> = {}): MonitorBucket => ({
  start,
  readings: 10,
  noReadingShare: 0.2,
  meanConfidence: 0.7,
  corrections: 1,
  correctionRate: 0.125,
  ...over,
});
const totals = { readings: 0, noReadingShare: null, meanConfidence: null, corrections: 0, correctionRate: null };

describe("models page data", () => {
  const monitoring: ModelMonitoring = {
    from: 0,
    to: 3 * 3_600_000,
    bucketMs: 3_600_000,
    versions: [
      { version: 1, totals, buckets: [bucket(0), bucket(3_600_000, { meanConfidence: 0.6 })], confusion: [] },
      { version: 2, totals, buckets: [bucket(7_200_000, { meanConfidence: 0.8 }), bucket(3_600_000, { meanConfidence: 0.75 })], confusion: [] },
      { version: 3, totals, buckets: [bucket(0, { readings: 0, corrections: 0, meanConfidence: null })], confusion: [] },
    ],
  };

  it("puts every version's value of a metric in one row per bucket, in time order", () => {
    expect(metricRows(monitoring, "meanConfidence")).toEqual([
      { start: 0, v1: 0.7, v3: null },
      { start: 3_600_000, v1: 0.6, v2: 0.75 },
      { start: 7_200_000, v2: 0.8 },
    ]);
  });

  it("charts only versions that produced readings or got corrections in the window", () => {
    expect(chartedVersions(monitoring)).toEqual([1, 2]);
  });

  it("builds the corrected confusion in emotion order, 'no reading' last, with totals", () => {
    const m = confusionMatrix([
      { predicted: null, label: "sad", n: 1 },
      { predicted: "sad", label: "neutral", n: 2 },
      { predicted: "happy", label: "happy", n: 3 },
      { predicted: "happy", label: "sad", n: 1 },
    ]);
    expect(m.rows.map((r) => r.predicted)).toEqual(["happy", "sad", null]);
    expect(m.rows[0]!.counts).toMatchObject({ happy: 3, sad: 1, neutral: 0 });
    expect(m.rows.map((r) => r.total)).toEqual([4, 2, 1]);
    expect(m.total).toBe(7);
  });

  it("formats MACs and accuracies for people", () => {
    expect(formatMacs(5_480_000)).toBe("5.5 M");
    expect(formatMacs(640_000)).toBe("640 k");
    expect(formatMacs(null)).toBe("–");
    expect(formatAccuracy(0.65453)).toBe("65.45 %");
    expect(formatAccuracy(null)).toBe("–");
  });
});

describe("roundTimeTicks", () => {
  it("puts about six ticks on round local times within the window", () => {
    const from = new Date(2026, 11, 1, 0, 48).getTime();
    const to = from + 86_400_000;
    const ticks = roundTimeTicks(from, to);
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    expect(ticks.length).toBeLessThanOrEqual(6);
    for (const t of ticks) {
      expect(t).toBeGreaterThanOrEqual(from);
      expect(t).toBeLessThanOrEqual(to);
      expect(new Date(t).getMinutes()).toBe(0);
      expect(new Date(t).getHours() % 4).toBe(0);
    }
  });
});

describe("rateAxis", () => {
  it("tops a small rate at the next round value, in quarters", () => {
    expect(rateAxis([{ start: 0, v1: 0.029, v2: null }])).toEqual({ domain: [0, 0.04], ticks: [0, 0.01, 0.02, 0.03, 0.04] });
    expect(rateAxis([{ start: 0, v1: null }]).domain).toEqual([0, 0.01]);
    expect(rateAxis([{ start: 0, v1: 0.3 }]).domain).toEqual([0, 0.4]);
  });
});
