import type { ConfusionCell, Emotion, ModelMonitoring } from "@emotion/protocol";
import { EMOTIONS } from "@emotion/protocol";

/** The three monitored figures, as charted per version over time. */
export const METRICS = [
  { key: "noReadingShare", title: "Share of “no reading”", hint: "No face, or refused by the quality gate", isShare: true },
  { key: "meanConfidence", title: "Mean confidence", hint: "Mean top probability of the classified readings", isShare: true },
  { key: "correctionRate", title: "Correction rate", hint: "Listeners’ corrections per classified reading", isShare: false },
] as const;
export type MetricKey = (typeof METRICS)[number]["key"];

/** One chart row: a bucket's start and each version's value in it (`v1`, `v2`, …; absent without data). */
export type MetricRow = { start: number } & Record<string, number | null>;

export const versionKey = (version: number) => `v${version}`;

/** Rows for one metric's line chart: one per bucket start that any version has, in time order. */
export function metricRows(monitoring: ModelMonitoring, metric: MetricKey): MetricRow[] {
  const rows = new Map<number, MetricRow>();
  for (const v of monitoring.versions)
    for (const b of v.buckets) {
      const row = rows.get(b.start) ?? { start: b.start };
      row[versionKey(v.version)] = b[metric];
      rows.set(b.start, row);
    }
  return [...rows.values()].sort((a, b) => a.start - b.start);
}

/** Versions with at least one bucket of readings or corrections in the window: the lines worth drawing. */
export function chartedVersions(monitoring: ModelMonitoring): number[] {
  return monitoring.versions.filter((v) => v.buckets.some((b) => b.readings > 0 || b.corrections > 0)).map((v) => v.version);
}

/** Rows of the corrected confusion: what the model read (null: no reading found) × what listeners said. */
export interface ConfusionMatrix {
  rows: Array<{ predicted: Emotion | null; counts: Record<Emotion, number>; total: number }>;
  total: number;
}

export function confusionMatrix(cells: ConfusionCell[]): ConfusionMatrix {
  const empty = () => Object.fromEntries(EMOTIONS.map((e) => [e, 0])) as Record<Emotion, number>;
  const order: Array<Emotion | null> = [...EMOTIONS, null];
  const byPredicted = new Map<Emotion | null, Record<Emotion, number>>();
  for (const c of cells) {
    const counts = byPredicted.get(c.predicted) ?? empty();
    counts[c.label] += c.n;
    byPredicted.set(c.predicted, counts);
  }
  const rows = order
    .filter((p) => byPredicted.has(p))
    .map((predicted) => {
      const counts = byPredicted.get(predicted)!;
      return { predicted, counts, total: EMOTIONS.reduce((n, e) => n + counts[e], 0) };
    });
  return { rows, total: rows.reduce((n, r) => n + r.total, 0) };
}

/** Axis tops whose quarters are round percentages (0.25 %, 0.5 %, 1 %, 2 %, 5 %, 10 %, 25 %). */
const RATE_TOPS = [0.01, 0.02, 0.04, 0.08, 0.2, 0.4, 1];

/** A 0-based axis for a small rate: the smallest round top above the largest value, in quarters. */
export function rateAxis(rows: MetricRow[]): { domain: [number, number]; ticks: number[] } {
  let max = 0;
  for (const row of rows) for (const [key, value] of Object.entries(row)) if (key !== "start" && typeof value === "number") max = Math.max(max, value);
  const top = RATE_TOPS.find((t) => t >= max) ?? Math.ceil(max);
  return { domain: [0, top], ticks: [0, 1, 2, 3, 4].map((q) => (top * q) / 4) };
}

const TICK_STEPS_MS = [5, 15, 30, 60, 120, 240, 360, 720, 1440, 2880, 10080].map((min) => min * 60_000);

/**
 * About `count` ticks at round local times (whole hours, days at local midnight) between `from` and `to`:
 * a window that ends now would otherwise be labelled at odd minutes.
 */
export function roundTimeTicks(from: number, to: number, count = 6): number[] {
  const step = TICK_STEPS_MS.find((s) => (to - from) / s <= count) ?? TICK_STEPS_MS[TICK_STEPS_MS.length - 1]!;
  const offset = new Date(from).getTimezoneOffset() * 60_000;
  const ticks: number[] = [];
  for (let t = Math.ceil((from - offset) / step) * step + offset; t <= to; t += step) ticks.push(t);
  return ticks;
}

/** "12.3 M" multiply-adds per face, or "–". */
export function formatMacs(macs: number | null): string {
  if (macs === null) return "–";
  return macs >= 1e6 ? `${(macs / 1e6).toFixed(1)} M` : `${Math.round(macs / 1e3)} k`;
}

/** An accuracy 0..1 as "65.45 %", or "–". */
export function formatAccuracy(accuracy: number | null | undefined): string {
  return accuracy === null || accuracy === undefined ? "–" : `${(accuracy * 100).toFixed(2)} %`;
}
