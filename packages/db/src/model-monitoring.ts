import { sql } from "drizzle-orm";
import { AppError, MAX_MONITOR_BUCKETS, MAX_MONITOR_RANGE_MS, type Emotion, type ModelMonitoring, type MonitorBucket } from "@emotion/protocol";
import { rowsOn } from "./models";
import type { Database } from "./schema";

const MINUTE_MS = 60_000;

export interface MonitoringWindow {
  /** Epoch ms, inclusive (default: `to` minus 24 h). */
  from?: number;
  /** Epoch ms, exclusive (default: now). */
  to?: number;
  /** A whole number of minutes (default 1 h). */
  bucketMs?: number;
}

export interface MonitoringRepository {
  /**
   * Per model version over time buckets: readings, share of "no reading", mean confidence, corrections and
   * correction rate, and the corrected confusion. Reads the per-minute rollup and the corrections, never the readings.
   */
  modelMonitoring(window?: MonitoringWindow): Promise<ModelMonitoring>;
}

/** Checks a window and fills its defaults; the HTTP query schema checks the same limits first. */
export function resolveWindow(window: MonitoringWindow, now = Date.now()): Required<MonitoringWindow> {
  const bucketMs = window.bucketMs ?? 3_600_000;
  const to = window.to ?? now;
  const from = window.from ?? to - 24 * 3_600_000;
  const fail = (what: string) => new AppError("VALIDATION_FAILED", what);
  if (!Number.isInteger(bucketMs) || bucketMs < MINUTE_MS || bucketMs % MINUTE_MS !== 0)
    throw fail("bucketMs must be a whole number of minutes (a multiple of 60000)");
  if (!Number.isFinite(from) || !Number.isFinite(to) || from < 0 || from >= to) throw fail("from must be before to (epoch ms)");
  if (to - from > MAX_MONITOR_RANGE_MS) throw fail(`the window (to - from) is at most ${MAX_MONITOR_RANGE_MS} ms (31 days)`);
  if (Math.ceil((to - from) / bucketMs) > MAX_MONITOR_BUCKETS) throw fail(`at most ${MAX_MONITOR_BUCKETS} buckets: raise bucketMs or shorten the window`);
  return { from, to, bucketMs };
}

interface Sums {
  readings: number;
  classified: number;
  confidence: number;
  corrections: number;
}

function toFigures(s: Sums): Omit<MonitorBucket, "start"> {
  return {
    readings: s.readings,
    noReadingShare: s.readings ? (s.readings - s.classified) / s.readings : null,
    meanConfidence: s.classified ? s.confidence / 1000 / s.classified : null,
    corrections: s.corrections,
    correctionRate: s.classified ? s.corrections / s.classified : null,
  };
}

export function createMonitoringRepository(db: Database): MonitoringRepository {
  const rows = rowsOn(db);
  return {
    async modelMonitoring(window = {}) {
      const { from, to, bucketMs } = resolveWindow(window);
      const fromIso = new Date(from).toISOString();
      const toIso = new Date(to).toISOString();
      const bucketOf = (column: string) => sql.raw(`floor((extract(epoch from ${column}) * 1000 - ${from}) / ${bucketMs})::int`);
      const [minutes, corrected, confusion, active] = await Promise.all([
        rows<{ version: number; b: number; readings: number; classified: number; confidence: number }>(sql`
          SELECT model_version AS version, ${bucketOf("minute")} AS b, sum(readings)::float8 AS readings,
                 sum(classified)::float8 AS classified, sum(confidence_permille)::float8 AS confidence
          FROM model_minutes WHERE minute >= ${fromIso}::timestamptz AND minute < ${toIso}::timestamptz GROUP BY 1, 2`),
        rows<{ version: number; b: number; n: number }>(sql`
          SELECT model_version AS version, ${bucketOf("created_at")} AS b, count(*)::int AS n
          FROM corrections WHERE created_at >= ${fromIso}::timestamptz AND created_at < ${toIso}::timestamptz AND model_version IS NOT NULL
          GROUP BY 1, 2`),
        rows<{ version: number; predicted: Emotion | null; label: Emotion; n: number }>(sql`
          SELECT model_version AS version, predicted, label, count(*)::int AS n
          FROM corrections WHERE created_at >= ${fromIso}::timestamptz AND created_at < ${toIso}::timestamptz AND model_version IS NOT NULL
          GROUP BY 1, 2, 3 ORDER BY 1, n DESC, label`),
        rows<{ version: number }>(sql`SELECT version FROM model_versions WHERE status = 'active'`),
      ]);
      const versions = new Set([...minutes, ...corrected].map((r) => r.version));
      for (const r of active) versions.add(r.version);
      const count = Math.ceil((to - from) / bucketMs);
      return {
        from,
        to,
        bucketMs,
        versions: [...versions]
          .sort((a, b) => a - b)
          .map((version) => {
            const sums: Sums[] = Array.from({ length: count }, () => ({ readings: 0, classified: 0, confidence: 0, corrections: 0 }));
            for (const m of minutes.filter((r) => r.version === version)) {
              const s = sums[m.b];
              if (!s) continue;
              s.readings += Number(m.readings);
              s.classified += Number(m.classified);
              s.confidence += Number(m.confidence);
            }
            for (const c of corrected.filter((r) => r.version === version)) if (sums[c.b]) sums[c.b]!.corrections += c.n;
            const total = sums.reduce((t, s) => ({
              readings: t.readings + s.readings,
              classified: t.classified + s.classified,
              confidence: t.confidence + s.confidence,
              corrections: t.corrections + s.corrections,
            }));
            return {
              version,
              totals: toFigures(total),
              buckets: sums.map((s, i) => ({ start: from + i * bucketMs, ...toFigures(s) })),
              confusion: confusion.filter((c) => c.version === version).map(({ predicted, label, n }) => ({ predicted, label, n })),
            };
          }),
      };
    },
  };
}
