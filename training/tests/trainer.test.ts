import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findPython, run, type RunResult } from "./python";

const TRAINING_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");
const python = findPython();
const tmp = mkdtempSync(join(tmpdir(), "fer-smoke-"));
const csv = join(tmp, "fer.csv.gz");
const votes = join(tmp, "votes.csv");
const checkpoint = join(tmp, "ck.pt");

function train(extra: string[]): Promise<RunResult> {
  const args = [
    "-m",
    "fer_trainer.train",
    "--csv",
    csv,
    "--votes",
    votes,
    "--batch-size",
    "32",
    "--checkpoint",
    checkpoint,
    "--cache-dir",
    join(tmp, "cache"),
    "--threads",
    "1",
    ...extra,
  ];
  return run(python, args, TRAINING_DIR);
}

interface Card {
  classNames: string[];
  input: { name: string; size: number; normalisation: { mean: number; std: number } };
  output: { name: string };
  parameters: number;
  macsPerFace: number;
  publicTest: { accuracy: number; confusion: number[][]; perClassRecall: Record<string, number> };
}

describe("fer_trainer smoke training", () => {
  let first: RunResult;

  beforeAll(async () => {
    const made = await run(python, [join(TRAINING_DIR, "tests", "make_smoke_data.py"), tmp, "--train", "256", "--test", "64"], TRAINING_DIR);
    expect(made.code, made.stderr).toBe(0);
    first = await train(["--epochs", "1", "--out", join(tmp, "m")]);
  });

  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("trains one epoch and exports an ONNX model with a complete card", () => {
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/epoch 1\/1 loss [\d.]+ publicTest/);
    expect(existsSync(join(tmp, "m.onnx"))).toBe(true);
    const card = JSON.parse(readFileSync(join(tmp, "m.card.json"), "utf8")) as Card;
    expect(card.classNames).toEqual(["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]);
    expect([48, 64]).toContain(card.input.size);
    expect(card.input.normalisation.std).toBeGreaterThan(0);
    expect(card.parameters).toBeGreaterThan(50_000);
    expect(card.parameters).toBeLessThan(65_000);
    expect(card.macsPerFace).toBeGreaterThan(1_000_000);
    expect(card.publicTest.confusion).toHaveLength(7);
    for (const row of card.publicTest.confusion) expect(row).toHaveLength(7);
    expect(card.publicTest.confusion.flat().reduce((a, b) => a + b, 0)).toBe(64);
    // the accuracy on the card is the one its confusion matrix gives (one epoch on smoke data: no floor)
    const correct = card.publicTest.confusion.reduce((n, row, k) => n + row[k]!, 0);
    expect(card.publicTest.accuracy).toBeCloseTo(correct / 64, 6);
  });

  it("gives onnxruntime-node's probabilities equal to PyTorch's within 1e-4", async () => {
    const refPath = join(tmp, "reference.json");
    const ref = await run(python, [join(TRAINING_DIR, "tests", "torch_reference.py"), checkpoint, join(tmp, "m.card.json"), refPath, "--n", "8"], TRAINING_DIR);
    expect(ref.code, ref.stderr).toBe(0);
    const { shape, input, output } = JSON.parse(readFileSync(refPath, "utf8")) as { shape: number[]; input: number[]; output: number[] };
    const card = JSON.parse(readFileSync(join(tmp, "m.card.json"), "utf8")) as Card;
    const session = await ort.InferenceSession.create(join(tmp, "m.onnx"), { intraOpNumThreads: 1 });
    try {
      const feeds = { [card.input.name]: new ort.Tensor("float32", Float32Array.from(input), shape) };
      const result = await session.run(feeds);
      const probs = result[card.output.name];
      expect(probs?.dims).toEqual([shape[0], 7]);
      const got = probs?.data as Float32Array;
      let maxDiff = 0;
      for (let i = 0; i < output.length; i++) maxDiff = Math.max(maxDiff, Math.abs((got[i] ?? NaN) - (output[i] ?? NaN)));
      expect(maxDiff).toBeLessThan(1e-4);
      for (let n = 0; n < (shape[0] ?? 0); n++) {
        expect(got.subarray(n * 7, n * 7 + 7).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      }
    } finally {
      await session.release();
    }
  });

  it("resumes from the checkpoint and continues to the next epoch", async () => {
    const resumed = await train(["--epochs", "2", "--resume", "--out", join(tmp, "m2")]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain("resumed");
    expect(resumed.stdout).toMatch(/epoch 2\/2 /);
    expect(resumed.stdout).not.toMatch(/epoch 1\/2 /);
    expect(existsSync(join(tmp, "m2.onnx"))).toBe(true);
  });

  it("fine-tunes from a checkpoint with weight averaging and records where it started", async () => {
    const r = await train(["--init-from", checkpoint, "--swa", "--epochs", "2", "--lr", "1e-4", "--checkpoint", join(tmp, "swa.pt"), "--out", join(tmp, "m3")]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/initialised from ck\.pt \(epoch \d+, PublicTest [\d.]+\)/);
    expect(r.stdout).toMatch(/weight average of 2 epochs: publicTest [\d.]+/);
    const card = JSON.parse(readFileSync(join(tmp, "m3.card.json"), "utf8")) as {
      training: { initFrom?: string; bestEpoch: number | null; weightAverage?: string; optimizer: string };
    };
    expect(card.training.initFrom).toMatch(/^initialised from /);
    expect(card.training.optimizer).toMatch(/^AdamW, constant learning rate/);
    // the card names what was exported: the average of all epochs (no best single epoch), or one epoch
    if (/then 2 epochs averaged/.test(card.training.optimizer)) {
      expect(card.training.bestEpoch).toBeNull();
      expect(card.training.weightAverage).toBe("all 2 epochs");
    } else {
      expect(card.training.bestEpoch).toBeGreaterThanOrEqual(1);
      expect(card.training.weightAverage).toBeUndefined();
    }
  });

  it("resumes a weight-averaging run with its running average", async () => {
    const ck = join(tmp, "swa-resume.pt");
    const first = await train(["--init-from", checkpoint, "--swa", "--epochs", "1", "--lr", "1e-4", "--checkpoint", ck, "--out", join(tmp, "m6")]);
    expect(first.code, first.stderr).toBe(0);
    const resumed = await train([
      "--init-from",
      checkpoint,
      "--swa",
      "--resume",
      "--epochs",
      "2",
      "--lr",
      "1e-4",
      "--checkpoint",
      ck,
      "--out",
      join(tmp, "m6"),
    ]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/resumed from .* after epoch 1/);
    expect(resumed.stdout).toMatch(/weight average of 2 epochs: publicTest [\d.]+/);
  });

  it("starts from an exported model and distils from it, keeping the model's accuracy at the start", async () => {
    const exported = join(tmp, "m.onnx");
    const r = await train([
      "--init-from",
      exported,
      "--teacher",
      exported,
      "--kd-weight",
      "0.7",
      "--random-erasing",
      "0.5",
      "--epochs",
      "1",
      "--lr",
      "1e-4",
      "--checkpoint",
      join(tmp, "kd.pt"),
      "--out",
      join(tmp, "m4"),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/distilling from 1 teacher\(s\) at T=2.0, weight 0.7: teachers agree with [\d.]+ of the training labels/);
    // batch norm unfolded from the exported graph: the same predictions as the exported model
    const start = /initialised from m\.onnx \(PublicTest ([\d.]+)\)/.exec(r.stdout);
    expect(start, r.stdout).not.toBeNull();
    const exportedCard = JSON.parse(readFileSync(join(tmp, "m.card.json"), "utf8")) as Card;
    expect(Number(start?.[1])).toBeCloseTo(exportedCard.publicTest.accuracy, 4);
    const card = JSON.parse(readFileSync(join(tmp, "m4.card.json"), "utf8")) as {
      training: { distillation?: { teachers: string[]; weight: number; temperature: number; teacherView: string }; augmentation: string };
    };
    expect(card.training.distillation).toEqual({ teachers: ["m.onnx"], weight: 0.7, temperature: 2, teacherView: "fixed" });
    expect(card.training.augmentation).toContain("random erasing p=0.5");
  });

  it("distils with the teacher looking at each augmented view, and records it", async () => {
    const exported = join(tmp, "m.onnx");
    const r = await train([
      "--init-from",
      exported,
      "--teacher",
      exported,
      "--teacher",
      exported,
      "--teacher-view",
      "augmented",
      "--epochs",
      "1",
      "--lr",
      "1e-4",
      "--checkpoint",
      join(tmp, "kd-aug.pt"),
      "--out",
      join(tmp, "m5"),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("distilling from 2 teacher(s) at T=2.0, weight 0.5, on each augmented view and its mirror");
    expect(r.stdout).toMatch(/epoch 1\/1 loss [\d.]+ publicTest/);
    const card = JSON.parse(readFileSync(join(tmp, "m5.card.json"), "utf8")) as { training: { distillation?: { teacherView: string } } };
    expect(card.training.distillation?.teacherView).toBe("augmented");
  });

  it("rejects an unknown --teacher-view", async () => {
    const r = await train(["--teacher-view", "sideways", "--epochs", "1", "--out", join(tmp, "x")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--teacher-view");
  });

  it("rejects a teacher that does not exist, naming it", async () => {
    const r = await train(["--teacher", join(tmp, "absent.onnx"), "--epochs", "1", "--out", join(tmp, "x")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--teacher: no model at");
    expect(r.stderr).toContain("absent.onnx");
  });

  it("exits 2 with a clear message when the CSV is missing", async () => {
    const missing = join(tmp, "nope.csv.gz");
    const r = await run(
      python,
      [
        "-m",
        "fer_trainer.train",
        "--csv",
        missing,
        "--votes",
        "none",
        "--out",
        join(tmp, "x"),
        "--checkpoint",
        join(tmp, "x.pt"),
        "--cache-dir",
        join(tmp, "cache"),
      ],
      TRAINING_DIR,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("not found");
    expect(r.stderr).toContain(missing);
    expect(r.stderr).not.toContain("Traceback");
  });
});
