import type { FastifyBaseLogger } from "fastify";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { EmotionResult, Vision } from "@emotion/vision";
import { sampleCrops, testVision } from "../test/fixtures";
import { createBatcher } from "./batcher";
import { readFileSync } from "node:fs";
import { MODEL_PATH } from "@emotion/vision/node";
import { classifyInRuns, createInferencePool, inferenceWorkersFor, RUN_MAX, type InferencePool, type ModelSpec } from "./inference-pool";

const errors: unknown[] = [];
const log = { info: () => {}, warn: () => {}, error: (o: unknown) => errors.push(o) } as unknown as FastifyBaseLogger;

async function waitFor(test: () => boolean, ms = 60_000) {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("inference worker pool", () => {
  let vision: Vision;
  let crops: Uint8Array[];
  let pool: InferencePool | null = null;
  let v1: ModelSpec;
  beforeAll(async () => {
    vision = await testVision();
    v1 = { version: 1, card: vision.card, bytes: null, path: MODEL_PATH };
    crops = await sampleCrops(vision, 3);
  });
  afterEach(async () => {
    await pool?.close();
    pool = null;
    errors.length = 0;
  });

  it("classifies in a worker exactly as in-process, and in-process until the worker is ready", async () => {
    let inProcess = 0;
    pool = createInferencePool({
      size: 1,
      threads: 1,
      fallback: (c) => ((inProcess += c.length), vision.classify(c)),
      model: () => v1,
      log,
    });
    const batch = Array.from({ length: 40 }, (_, i) => crops[i % crops.length]!);
    const expected = await vision.classify(batch);

    // Before the worker is up, nothing waits for it.
    expect(await pool.classify(batch.slice(0, 2))).toEqual(expected.slice(0, 2));
    expect(inProcess).toBe(2);
    await waitFor(() => pool!.readyWorkers === 1);

    const viaWorker: EmotionResult[] = await pool.classify(batch);
    expect(inProcess).toBe(2);
    expect(viaWorker.map((r) => r.dominant)).toEqual(expected.map((r) => r.dominant));
    viaWorker.forEach((r, i) => {
      for (const [emotion, p] of Object.entries(r.probabilities)) expect(p).toBeCloseTo(expected[i]!.probabilities[emotion as keyof typeof r.probabilities], 6);
      expect(r.confidence).toBe(r.probabilities[r.dominant]);
    });
    expect(errors).toEqual([]);
  });

  it("reruns in-process the batch of a worker that died with it, and answers every crop", async () => {
    let inProcess = 0;
    pool = createInferencePool({
      size: 1,
      threads: 1,
      workerUrl: new URL("../test/dying.worker.mjs", import.meta.url),
      fallback: (c) => ((inProcess += c.length), vision.classify(c)),
      model: () => v1,
      log,
    });
    pool.warmUp();
    await waitFor(() => pool!.readyWorkers === 1);
    const batch = Array.from({ length: 24 }, (_, i) => crops[i % crops.length]!);
    const results = await pool.classify(batch); // the worker exits on receiving it
    expect(results.map((r) => r.dominant)).toEqual((await vision.classify(batch)).map((r) => r.dominant));
    expect(inProcess).toBe(24);
    expect(pool.readyWorkers).toBe(0);
    expect(JSON.stringify(errors)).toMatch(/exited with code 1/);
  });

  it("retires a worker that does not answer a batch in time; the batch is classified in-process, nothing lost", async () => {
    let inProcess = 0;
    // 1 ms: no worker answers a 40-crop batch that fast, so the timeout path runs for real.
    pool = createInferencePool({
      size: 1,
      threads: 1,
      jobTimeoutMs: 1,
      fallback: (c) => ((inProcess += c.length), vision.classify(c)),
      model: () => v1,
      log,
    });
    pool.warmUp();
    await waitFor(() => pool!.readyWorkers === 1);
    const batch = Array.from({ length: 40 }, (_, i) => crops[i % crops.length]!);
    const results = await pool.classify(batch);
    expect(results.map((r) => r.dominant)).toEqual((await vision.classify(batch)).map((r) => r.dominant));
    expect(inProcess).toBe(40);
    expect(pool.readyWorkers).toBe(0);
    expect(JSON.stringify(errors)).toMatch(/longer than 1 ms \(INFERENCE_JOB_TIMEOUT_MS\)/);
  });

  it("swaps every worker to a new model version without dropping a batch, and tags each result with its version", async () => {
    let model: ModelSpec = v1;
    pool = createInferencePool({ size: 1, threads: 1, fallback: (c) => vision.classify(c), model: () => model, log });
    pool.warmUp();
    await waitFor(() => pool!.readyWorkers === 1);
    expect((await pool.classify(crops)).map((r) => r.modelVersion)).toEqual(crops.map(() => 1));
    // Version 2: the same network given as bytes, so the answers must not change, only the version.
    model = { version: 2, card: vision.card, bytes: readFileSync(MODEL_PATH), path: null };
    pool.swapModel();
    const during = await Promise.all(Array.from({ length: 20 }, () => pool!.classify(crops)));
    expect(during.flat()).toHaveLength(20 * crops.length);
    await waitFor(() => pool!.workers()[0]!.modelVersion === 2);
    const after = await pool.classify(crops);
    expect(after.map((r) => r.modelVersion)).toEqual(crops.map(() => 2));
    expect(after.map((r) => r.dominant)).toEqual((await vision.classify(crops)).map((r) => r.dominant));
    expect(errors).toEqual([]);
  });

  it("keeps a worker on its old model when the new one cannot load, and classifies in-process meanwhile", async () => {
    let inProcess = 0;
    let model: ModelSpec = v1;
    pool = createInferencePool({ size: 1, threads: 1, fallback: (c) => ((inProcess += c.length), vision.classify(c)), model: () => model, log });
    pool.warmUp();
    await waitFor(() => pool!.readyWorkers === 1);
    model = { version: 3, card: vision.card, bytes: new Uint8Array([1, 2, 3]), path: null };
    pool.swapModel();
    await waitFor(() => errors.length > 0);
    expect(JSON.stringify(errors)).toMatch(/"modelVersion":3,"reason":"Failed to load model/);
    expect(pool.workers()[0]!.modelVersion).toBe(1);
    expect((await pool.classify(crops)).length).toBe(crops.length);
    expect(inProcess).toBe(crops.length);
  });

  it("passes INFERENCE_PROVIDERS to the workers and reports the provider each one uses", async () => {
    pool = createInferencePool({ size: 1, threads: 1, providers: ["cuda", "cpu"], fallback: (c) => vision.classify(c), model: () => v1, log });
    pool.warmUp();
    await waitFor(() => pool!.readyWorkers === 1);
    const [worker] = pool.workers();
    // This build of onnxruntime-node has no CUDA: the worker must say so and serve on the CPU.
    if (worker!.provider === "cpu") expect(worker!.providerError).toMatch(/^cuda: /);
    else expect(worker!.provider).toBe("cuda");
  });

  it("classifies a large batch in runs of at most RUN_MAX crops, keeping the order", async () => {
    const runs: number[] = [];
    const batch = Array.from({ length: 2 * RUN_MAX + 6 }, (_, i) => crops[i % crops.length]!);
    const results = await classifyInRuns((c) => (runs.push(c.length), vision.classify(c)), batch);
    expect(runs).toEqual([RUN_MAX, RUN_MAX, 6]);
    expect(results.map((r) => r.dominant)).toEqual((await vision.classify(batch)).map((r) => r.dominant));
  });

  it("uses a worker per inference thread, up to 4, and none on a single core", () => {
    expect(inferenceWorkersFor(1, 1)).toBe(0);
    expect(inferenceWorkersFor(2, 1)).toBe(1);
    expect(inferenceWorkersFor(4, 3)).toBe(3);
    expect(inferenceWorkersFor(16, 15)).toBe(4);
  });

  it("lets the batcher run several batches at a time", async () => {
    let running = 0;
    let most = 0;
    const batcher = createBatcher({
      maxBatch: 2,
      waitMs: 0,
      concurrency: 2,
      classify: async (c) => {
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
        return vision.classify(c);
      },
    });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => batcher.classify(crops[i % crops.length]!)));
    await batcher.drain();
    expect(results).toHaveLength(8);
    expect(most).toBe(2);
    expect(batcher.stats.batches).toBeGreaterThanOrEqual(4);
  });
});
