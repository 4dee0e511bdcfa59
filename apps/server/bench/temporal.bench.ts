// Extra server CPU per reading of the temporal filter: µs per listener step, with the readings of
// 1, 64 and 500 listeners in one run. Run alone: `pnpm exec tsx bench/temporal.bench.ts` (from apps/server).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import { toProbabilities } from "@emotion/protocol";
import {
  TEMPORAL_CARD_URL,
  TEMPORAL_MODEL_URL,
  createEmaFilter,
  createTemporalFilter,
  type TemporalFilter,
  type TemporalItem,
  type TemporalState,
} from "@emotion/vision/temporal";

const BATCHES = [1, 64, 500];
const MIN_MS = 1500;

/** A plausible reading stream: mostly faces with noisy probabilities, some no-face and refused beats. */
function makeReadings(n: number, seed: number): TemporalItem["reading"][] {
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  return Array.from({ length: n }, () => {
    const u = rand();
    if (u < 0.05) return { quality: "no_face" as const, probabilities: null };
    if (u < 0.08) return { quality: "too_blurred" as const, probabilities: null };
    const raw = Array.from({ length: 7 }, (_, i) => rand() + (i === 4 ? 2 : 0));
    const sum = raw.reduce((a, b) => a + b, 0);
    return { quality: "ok" as const, probabilities: toProbabilities(raw.map((v) => v / sum)) };
  });
}

/** Wall and CPU (user + system, all threads) µs per listener step. */
async function timeBatch(filter: TemporalFilter, listeners: number): Promise<{ wallUs: number; cpuUs: number }> {
  const readings = makeReadings(listeners * 16, listeners);
  let states: Array<TemporalState | null> = Array.from({ length: listeners }, () => null);
  const once = async (k: number) => {
    const items = states.map((state, i) => ({ state, reading: readings[(k % 16) * listeners + i] as TemporalItem["reading"] }));
    states = (await filter.stepMany(items)).map((r) => r.state);
  };
  for (let k = 0; k < 20; k++) await once(k); // warm-up
  let runs = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  while (performance.now() - started < MIN_MS) await once(runs++);
  const wallUs = ((performance.now() - started) * 1000) / (runs * listeners);
  const used = process.cpuUsage(cpu);
  return { wallUs, cpuUs: (used.user + used.system) / (runs * listeners) };
}

export async function benchTemporal(threads = 1) {
  const card = JSON.parse(readFileSync(TEMPORAL_CARD_URL, "utf8"));
  const gru = await createTemporalFilter({
    ort,
    model: fileURLToPath(TEMPORAL_MODEL_URL),
    card,
    sessionOptions: { intraOpNumThreads: threads, interOpNumThreads: 1 },
  });
  const ema = createEmaFilter({ alpha: card.emaAlphaTunedOnTraining });
  const round = (v: { wallUs: number; cpuUs: number }) => ({ wallUs: Math.round(v.wallUs * 100) / 100, cpuUs: Math.round(v.cpuUs * 100) / 100 });
  const result: Record<"gru" | "ema", Record<string, { wallUs: number; cpuUs: number }>> = { gru: {}, ema: {} };
  for (const n of BATCHES) {
    result.gru[`listeners${n}`] = round(await timeBatch(gru, n));
    result.ema[`listeners${n}`] = round(await timeBatch(ema, n));
  }
  await gru.release();
  return { threads, ...result };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log("temporal filter, µs of CPU per listener reading:", JSON.stringify(await benchTemporal()));
}
