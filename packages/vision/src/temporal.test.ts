import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError, EMOTIONS, dominantOf, toProbabilities, type Probabilities } from "@emotion/protocol";
import {
  TEMPORAL_CARD_URL,
  TEMPORAL_MODEL_URL,
  TEMPORAL_SAMPLES_URL,
  createEmaFilter,
  createTemporalFilter,
  type TemporalCard,
  type TemporalFilter,
  type TemporalReading,
  type TemporalState,
  type TemporalStep,
} from "./temporal";

interface Samples {
  reference: { input: number[][]; probabilities: number[][] };
  constant: { warmupFrames: number; streams: Array<{ label: string; input: number[][]; rawFlipsPerMinute: number }> };
}

const card = JSON.parse(readFileSync(TEMPORAL_CARD_URL, "utf8")) as TemporalCard & { emaAlphaTunedOnTraining: number };
const samples = JSON.parse(readFileSync(TEMPORAL_SAMPLES_URL, "utf8")) as Samples;
const constant = samples.constant.streams;
const warmup = samples.constant.warmupFrames;

/** The samples' feature rows back into readings (a refusal is reported as too_blurred; all refusals encode alike). */
function toReading(row: number[]): TemporalReading {
  if (row[7] === 1) return { quality: "ok", probabilities: toProbabilities(row.slice(0, 7)) };
  return { quality: row[8] === 1 ? "no_face" : "too_blurred", probabilities: null };
}

async function runStream(filter: TemporalFilter, rows: number[][]): Promise<Array<Probabilities | null>> {
  let state: TemporalState | null = null;
  const out: Array<Probabilities | null> = [];
  for (const row of rows) {
    const r = await filter.step(state, toReading(row));
    state = r.state;
    out.push(r.probabilities);
  }
  return out;
}

/** Label changes per minute at 4 readings/s after the warm-up, the tile holding its label through gaps. */
function flipsPerMinute(labels: Array<string | null>, warmup: number): number {
  const shown = labels.slice(warmup);
  let flips = 0;
  for (let i = 1; i < shown.length; i++) if (shown[i] !== null && shown[i - 1] !== null && shown[i] !== shown[i - 1]) flips++;
  return flips / ((shown.length - 1) / 4 / 60);
}

function rawLabels(rows: number[][]): Array<string | null> {
  let last: string | null = null;
  return rows.map((row) => (last = row[7] === 1 ? dominantOf(toProbabilities(row.slice(0, 7))) : last));
}

describe("temporal GRU filter on onnxruntime-node", () => {
  let filter: TemporalFilter;
  beforeAll(async () => {
    filter = await createTemporalFilter({ ort, model: fileURLToPath(TEMPORAL_MODEL_URL), card, sessionOptions: { intraOpNumThreads: 1 } });
  });
  afterAll(() => filter.release());

  it("steps through the reference stream with PyTorch's probabilities (within 1e-5)", async () => {
    const got = await runStream(filter, samples.reference.input);
    let seen = false;
    let maxDiff = 0;
    got.forEach((p, t) => {
      seen ||= samples.reference.input[t]?.[7] === 1;
      if (!seen) return expect(p).toBeNull();
      expect(p).not.toBeNull();
      EMOTIONS.forEach((e, i) => (maxDiff = Math.max(maxDiff, Math.abs((p as Probabilities)[e] - (samples.reference.probabilities[t]?.[i] ?? NaN)))));
    });
    expect(maxDiff).toBeLessThan(1e-5);
  });

  it("gives each listener of a batched run the result of its own stream", async () => {
    const a = samples.reference.input;
    const b = (constant[0]?.input ?? []).slice(0, a.length);
    const alone = await runStream(filter, b);
    let states: Array<TemporalState | null> = [null, null, null];
    const batched: Array<Array<Probabilities | null>> = [[], [], []];
    for (let t = 0; t < a.length; t++) {
      const rows = [a[t] as number[], b[t] as number[], a[t] as number[]];
      const steps = await filter.stepMany(rows.map((row, i) => ({ state: states[i] ?? null, reading: toReading(row) })));
      states = steps.map((s) => s.state);
      steps.forEach((s, i) => batched[i]?.push(s.probabilities));
    }
    // a batch takes other BLAS paths than one row: equal to float32 rounding, not bit for bit
    batched[1]?.forEach((p, t) => EMOTIONS.forEach((e) => expect(p?.[e]).toBeCloseTo(alone[t]?.[e] ?? NaN, 6)));
    const last = a.length - 1;
    expect(batched[0]?.[last]?.happy).toBeCloseTo(samples.reference.probabilities[last]?.[3] ?? NaN, 5);
    expect(batched[2]?.[last]?.sad).toBeCloseTo(batched[0]?.[last]?.sad ?? NaN, 6);
  });

  it("shares one run among steps made in the same tick, each with its own result", async () => {
    const rows = (constant[0]?.input ?? []).slice(0, 3);
    const together = await Promise.all(rows.map((row) => filter.step(null, toReading(row))));
    const apart: TemporalStep[] = [];
    for (const row of rows) apart.push(await filter.step(null, toReading(row)));
    together.forEach((s, i) => EMOTIONS.forEach((e) => expect(s.probabilities?.[e]).toBeCloseTo(apart[i]?.probabilities?.[e] ?? NaN, 6)));
  });

  it(`flips less than half as often as the raw reading on constant noisy faces (${constant.map((c) => c.label).join(", ")})`, async () => {
    let raw = 0;
    let gru = 0;
    for (const c of constant) {
      const r = flipsPerMinute(rawLabels(c.input), warmup);
      expect(r).toBeCloseTo(c.rawFlipsPerMinute, 6);
      raw += r;
      gru += flipsPerMinute(
        (await runStream(filter, c.input)).map((p) => (p ? dominantOf(p) : null)),
        warmup,
      );
    }
    expect(raw / constant.length).toBeGreaterThan(10);
    expect(gru).toBeLessThan(raw / 2);
  });

  it("rejects a reading that is not a probability vector, naming the field", async () => {
    const bad = { quality: "ok" as const, probabilities: { ...toProbabilities([0, 0, 0, 0, 1, 0, 0]), sad: 1.5 } };
    await expect(filter.step(null, bad)).rejects.toThrow(/reading\.probabilities\.sad must be a number within 0\.\.1/);
    await expect(filter.step(null, { quality: "ok", probabilities: null })).rejects.toBeInstanceOf(AppError);
    const half = toProbabilities([0, 0, 0, 0, 0.5, 0, 0]);
    await expect(filter.stepMany([{ state: null, reading: { quality: "ok", probabilities: half } }])).rejects.toThrow(/sum to 1/);
  });

  it("rejects another filter's state", async () => {
    const ema = await createEmaFilter({ alpha: 0.3 }).step(null, { quality: "no_face", probabilities: null });
    await expect(filter.step(ema.state, { quality: "no_face", probabilities: null })).rejects.toThrow(/gru filter state/);
  });
});

describe("EMA fallback filter", () => {
  it("averages face readings, holds through gaps and flips less than the raw reading", async () => {
    const ema = createEmaFilter({ alpha: card.emaAlphaTunedOnTraining });
    const first = await ema.step(null, { quality: "ok", probabilities: toProbabilities([0, 0, 0, 0, 1, 0, 0]) });
    expect(first.probabilities?.sad).toBe(1);
    const gap = await ema.step(first.state, { quality: "turned_away", probabilities: null });
    expect(gap.probabilities).toEqual(first.probabilities);
    const next = await ema.step(gap.state, { quality: "ok", probabilities: toProbabilities([0, 0, 0, 1, 0, 0, 0]) });
    expect(next.probabilities?.happy).toBeCloseTo(card.emaAlphaTunedOnTraining, 6);
    let raw = 0;
    let filtered = 0;
    for (const c of constant) {
      raw += flipsPerMinute(rawLabels(c.input), warmup);
      filtered += flipsPerMinute(
        (await runStream(ema, c.input)).map((p) => (p ? dominantOf(p) : null)),
        warmup,
      );
    }
    expect(filtered).toBeLessThan(raw / 2);
  });

  it("gives null until the first face reading and rejects an alpha outside (0, 1]", async () => {
    const ema = createEmaFilter({ alpha: 0.5 });
    expect((await ema.step(null, { quality: "no_face", probabilities: null })).probabilities).toBeNull();
    expect(() => createEmaFilter({ alpha: 0 })).toThrow(/alpha must be within/);
    expect(() => createEmaFilter({ alpha: 1.5 })).toThrow(AppError);
  });
});
