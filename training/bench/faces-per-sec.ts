/**
 * Classifier throughput the way `emotion bench` reports "faces/s, batch 32, 1 thread": onnxruntime-node,
 * graph optimisation "all", one intra-op and one inter-op thread, 32 crops a call, calls back to back after
 * a warm-up, crops normalised on every call as @emotion/vision does. The models are timed in turns
 * (A B C A B C …) so that load from other processes on a shared machine falls on all of them alike.
 *
 * usage: npx tsx bench/faces-per-sec.ts [--seconds S] [--rounds R] model.onnx [model.onnx …]
 */
import { performance } from "node:perf_hooks";
import * as ort from "onnxruntime-node";

const BATCH = 32;

async function timeModel(session: ort.InferenceSession, side: number, seconds: number): Promise<number> {
  const crops = Array.from({ length: BATCH }, (_, k) => Uint8Array.from({ length: side * side }, (_, i) => (i * 31 + k * 7) % 256));
  const input = session.inputNames[0]!;
  const call = async () => {
    const data = new Float32Array(BATCH * side * side);
    crops.forEach((c, k) => c.forEach((v, i) => (data[k * side * side + i] = (v - 127.5) / 127.5)));
    await session.run({ [input]: new ort.Tensor("float32", data, [BATCH, 1, side, side]) });
  };
  for (let i = 0; i < 5; i++) await call();
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await call();
    calls++;
  }
  return (calls * BATCH) / ((performance.now() - start) / 1000);
}

async function main() {
  const args = process.argv.slice(2);
  const flag = (name: string, fallback: number) => {
    const i = args.indexOf(name);
    if (i < 0) return fallback;
    const v = Number(args.splice(i, 2)[1]);
    if (!(v > 0)) throw new Error(`${name} must be a positive number`);
    return v;
  };
  const seconds = flag("--seconds", 3);
  const rounds = flag("--rounds", 3);
  if (args.length === 0) throw new Error("usage: faces-per-sec.ts [--seconds S] [--rounds R] model.onnx …");
  const options: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: "all", intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3 };
  const sessions = await Promise.all(args.map((path) => ort.InferenceSession.create(path, options)));
  const sides = sessions.map((s) => {
    const dims = (s.inputMetadata[0] as { shape?: Array<number | string> } | undefined)?.shape;
    return typeof dims?.[3] === "number" ? dims[3] : 48;
  });
  const results: number[][] = args.map(() => []);
  for (let r = 0; r < rounds; r++) for (let m = 0; m < args.length; m++) results[m]!.push(await timeModel(sessions[m]!, sides[m]!, seconds));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rows = args.map((path, m) => ({ model: path, side: sides[m], facesPerSec: Math.round(median(results[m]!)), rounds: results[m]!.map(Math.round) }));
  for (const row of rows) console.log(`${row.model} (${row.side}x${row.side}): ${row.facesPerSec} faces/s (median of ${row.rounds.join(", ")})`);
  console.log(JSON.stringify({ batch: BATCH, threads: 1, results: rows }));
  await Promise.all(sessions.map((s) => s.release()));
}

await main();
