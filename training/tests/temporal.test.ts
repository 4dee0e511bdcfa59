import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findPython, run, type RunResult } from "./python";

const TRAINING_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");
const CLASSIFIER = join(TRAINING_DIR, "..", "models", "emotion-mini-xception.onnx");
const python = findPython();
const tmp = mkdtempSync(join(tmpdir(), "temporal-smoke-"));
const checkpoint = join(tmp, "gru.pt");

/** A tiny run: 24 streams of 48 frames of random-pixel "faces", read by the shipped classifier. */
function train(extra: string[]): Promise<RunResult> {
  const args = [
    "-m",
    "fer_trainer.temporal",
    "--csv",
    join(tmp, "fer.csv.gz"),
    "--votes",
    join(tmp, "votes.csv"),
    "--classifier",
    CLASSIFIER,
    "--checkpoint",
    checkpoint,
    "--cache-dir",
    join(tmp, "cache"),
    "--threads",
    "1",
    "--train-streams",
    "24",
    "--test-streams",
    "8",
    "--constant-streams",
    "6",
    "--frames",
    "48",
    "--constant-frames",
    "48",
    "--batch-size",
    "8",
    "--hidden",
    "8",
    ...extra,
  ];
  return run(python, args, TRAINING_DIR);
}

interface Card {
  classNames: string[];
  input: { name: string; shape: Array<number | null>; features: string[] };
  state: { input: string; output: string; shape: Array<number | null> };
  output: { name: string };
  training: { epochs: number; bestEpoch: number; classifier: string; sequences: { train: { streams: number; faceReadings: number } } };
  emaAlphaTunedOnTraining: number;
  publicTest: { methods: Record<string, { accuracy: number; flipsPerMinute: number; lag: { changes: number } }> };
}

describe("fer_trainer.temporal", () => {
  let first: RunResult;
  beforeAll(async () => {
    const made = await run(python, [join(TRAINING_DIR, "tests", "make_smoke_data.py"), tmp, "--train", "96", "--test", "48"], TRAINING_DIR);
    expect(made.code, made.stderr).toBe(0);
    first = await train(["--epochs", "2", "--out", join(tmp, "t")]);
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("passes its checks of the stream builder, baselines and metrics", async () => {
    const r = await run(python, [join(TRAINING_DIR, "tests", "temporal_checks.py")], TRAINING_DIR);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toContain("FAILED");
    expect(r.stdout).toContain("ok the same seed gives the same streams");
  });

  it("trains, compares with the baselines and writes a card that describes the streaming graph", () => {
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/epoch 2\/2 loss [\d.]+ held-out accuracy [\d.]+/);
    expect(first.stdout).toMatch(/EMA alpha tuned on Training streams: [\d.]+/);
    const card = JSON.parse(readFileSync(join(tmp, "t.card.json"), "utf8")) as Card;
    expect(card.classNames).toEqual(["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]);
    expect(card.input.shape).toEqual([null, null, 10]);
    expect(card.input.features.slice(7)).toEqual(["face", "noFace", "refused"]);
    expect(card.state.shape).toEqual([1, null, 8]);
    expect(card.training.classifier).toBe("emotion-mini-xception.onnx");
    expect(card.training.sequences.train.streams).toBe(24);
    expect(card.training.sequences.train.faceReadings).toBeGreaterThan(24 * 48 * 0.5);
    expect(Object.keys(card.publicTest.methods).slice(0, 4)).toEqual([
      "raw",
      `ema (alpha ${card.emaAlphaTunedOnTraining})`,
      "majority of last 10",
      "gru (hidden 8)",
    ]);
    expect(Object.keys(card.publicTest.methods)).toContain("recalibrated raw");
    for (const m of Object.values(card.publicTest.methods)) {
      expect(m.accuracy).toBeGreaterThanOrEqual(0);
      expect(m.accuracy).toBeLessThanOrEqual(1);
      expect(m.flipsPerMinute).toBeGreaterThanOrEqual(0);
    }
  });

  it("exports a graph that onnxruntime-node steps listener by listener, batched, as PyTorch runs the stream", async () => {
    const card = JSON.parse(readFileSync(join(tmp, "t.card.json"), "utf8")) as Card;
    const { reference } = JSON.parse(readFileSync(join(tmp, "t.samples.json"), "utf8")) as { reference: { input: number[][]; probabilities: number[][] } };
    const session = await ort.InferenceSession.create(join(tmp, "t.onnx"), { intraOpNumThreads: 1 });
    try {
      const hidden = 8;
      const listeners = 2; // both listeners get the same stream: each must match PyTorch alone
      let h = new Float32Array(listeners * hidden);
      let maxDiff = 0;
      for (const [t, row] of reference.input.entries()) {
        const x = Float32Array.from([...row, ...row]);
        const out = await session.run({
          [card.input.name]: new ort.Tensor("float32", x, [listeners, 1, 10]),
          [card.state.input]: new ort.Tensor("float32", h, [1, listeners, hidden]),
        });
        const p = out[card.output.name]?.data as Float32Array;
        expect(out[card.output.name]?.dims).toEqual([listeners, 7]);
        for (let i = 0; i < 14; i++) maxDiff = Math.max(maxDiff, Math.abs((p[i] ?? NaN) - (reference.probabilities[t]?.[i % 7] ?? NaN)));
        h = Float32Array.from(out[card.state.output]?.data as Float32Array);
      }
      expect(maxDiff).toBeLessThan(1e-5);
    } finally {
      await session.release();
    }
  });

  it("resumes from its checkpoint and continues to the next epoch", async () => {
    const r = await train(["--epochs", "3", "--resume", "--out", join(tmp, "t2")]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/resumed from .* after epoch 2/);
    expect(r.stdout).toMatch(/epoch 3\/3 /);
    expect(r.stdout).not.toMatch(/epoch 1\/3 /);
    expect(r.stdout).not.toContain("building"); // the streams come from the cache
    expect(existsSync(join(tmp, "t2.onnx"))).toBe(true);
  });

  it("rejects out-of-range options and a missing classifier, naming them", async () => {
    const hidden = await train(["--hidden", "0", "--out", join(tmp, "x")]);
    expect(hidden.code).toBe(2);
    expect(hidden.stderr).toContain("--hidden must be within 4..256");
    const missing = await train(["--classifier", join(tmp, "absent.onnx"), "--out", join(tmp, "x")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--classifier: no model at");
    const other = await train(["--export-only", "--smooth", "2", "--out", join(tmp, "x")]);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain("was trained with --hidden 8 --smooth 0.0, not --hidden 8 --smooth 2.0");
  });
});
