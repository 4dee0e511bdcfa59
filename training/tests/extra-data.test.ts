import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findPython, run, type RunResult } from "./python";

// The flags `emotion train --feedback` calls (notes: issue14-interfaces.md): extra training rows with
// a sampling weight, an extra held-out set reported on the card, and a start from the active .onnx.
const TRAINING_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");
const python = findPython();
const tmp = mkdtempSync(join(tmpdir(), "fer-extra-"));

function train(extra: string[], name: string): Promise<RunResult> {
  const base = ["-m", "fer_trainer.train", "--csv", join(tmp, "fer.csv.gz"), "--votes", join(tmp, "votes.csv"), "--batch-size", "32"];
  const paths = ["--checkpoint", join(tmp, `${name}.pt`), "--cache-dir", join(tmp, "cache"), "--threads", "1", "--out", join(tmp, name)];
  return run(python, [...base, ...paths, ...extra], TRAINING_DIR);
}

/** A FER-format CSV of `rows` faces (label k % 7), optionally with a Usage column and one row spoilt. */
function writeFerCsv(name: string, rows: number, options: { usage?: boolean; spoil?: (cells: string[]) => void; at?: number } = {}): string {
  const lines = [options.usage ? "emotion,pixels,Usage" : "emotion,pixels"];
  for (let k = 0; k < rows; k++) {
    const pixels = Array.from({ length: 2304 }, (_, i) => (i * 7 + k * 13) % 256).join(" ");
    const cells = [String(k % 7), pixels, ...(options.usage ? ["Training"] : [])];
    if (options.spoil && k === (options.at ?? 0)) options.spoil(cells);
    lines.push(cells.join(","));
  }
  const path = join(tmp, name);
  writeFileSync(path, lines.join("\n") + "\n");
  return path;
}

interface Card {
  widths: number[];
  macsPerFace: number;
  publicTest: { accuracy: number };
  extraEval?: { accuracy: number; n: number };
  training: { initFrom?: string; extraTraining?: { rows: number; weight: number } };
}

const readCard = (name: string) => JSON.parse(readFileSync(join(tmp, `${name}.card.json`), "utf8")) as Card;

describe("trainer: fine-tuning on extra (feedback) rows", () => {
  let base: Card;

  beforeAll(async () => {
    const made = await run(python, [join(TRAINING_DIR, "tests", "make_smoke_data.py"), tmp, "--train", "256", "--test", "64"], TRAINING_DIR);
    expect(made.code, made.stderr).toBe(0);
    const first = await train(["--epochs", "1"], "base");
    expect(first.code, first.stderr).toBe(0);
    base = readCard("base");
  });

  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("starts from an .onnx, adds weighted extra rows, and reports the held-out set on the card", async () => {
    const extraCsv = writeFerCsv("extra.csv", 20, { usage: true });
    const evalCsv = writeFerCsv("held.csv", 14);
    const r = await train(
      ["--init-from", join(tmp, "base.onnx"), "--extra-csv", extraCsv, "--extra-weight", "2.5", "--eval-csv", evalCsv, "--epochs", "1", "--lr", "1e-4"],
      "ft",
    );
    expect(r.code, r.stderr).toBe(0);
    // the exported model's accuracy is reproduced after unfolding batch norm: the start really is that model
    const start = /initialised from base\.onnx \(PublicTest ([\d.]+)\)/.exec(r.stdout);
    expect(start, r.stdout).not.toBeNull();
    expect(Number(start?.[1])).toBeCloseTo(base.publicTest.accuracy, 4);
    // 2.5 draws of each of the 20 rows an epoch: 2 copies each and half of them once more
    expect(r.stdout).toContain("extra training rows: 20 from extra.csv, weight 2.5 (50 draws an epoch)");
    const card = readCard("ft");
    expect(card.extraEval?.n).toBe(14);
    expect(card.extraEval?.accuracy).toBeGreaterThanOrEqual(0);
    expect(card.extraEval?.accuracy).toBeLessThanOrEqual(1);
    const correct = (card.extraEval?.accuracy ?? NaN) * 14; // a share of the 14 held-out rows
    expect(Math.abs(correct - Math.round(correct))).toBeLessThan(1e-6);
    expect(card.training.extraTraining).toMatchObject({ rows: 20, weight: 2.5 });
    expect(card.training.initFrom).toMatch(/^initialised from base\.onnx/);
  });

  it("widens an exported model function-preservingly with --width", async () => {
    const r = await train(["--init-from", join(tmp, "base.onnx"), "--width", "24,48,96,192", "--epochs", "1", "--lr", "1e-4"], "wide");
    expect(r.code, r.stderr).toBe(0);
    const start = /widened from modules \[16, 32, 64, 128\] to \[24, 48, 96, 192\] \(Net2WiderNet\) \(PublicTest ([\d.]+)\)/.exec(r.stdout);
    expect(start, r.stdout).not.toBeNull();
    expect(Number(start?.[1])).toBeCloseTo(base.publicTest.accuracy, 4);
    const card = readCard("wide");
    expect(card.widths).toEqual([24, 48, 96, 192]);
    expect(card.macsPerFace).toBeGreaterThan(base.macsPerFace);
    // and a wide model is itself a valid starting point (architecture read from the .onnx)
    const again = await train(["--init-from", join(tmp, "wide.onnx"), "--epochs", "1", "--lr", "1e-4"], "wide2");
    expect(again.code, again.stderr).toBe(0);
    expect(readCard("wide2").widths).toEqual([24, 48, 96, 192]);
  });

  it.each([
    [
      "too few pixels",
      (c: string[]) => (c[1] = c[1]!.split(" ").slice(1).join(" ")),
      /--extra-csv .*bad\.csv:4: column pixels: expected 2304 values, got 2303/,
    ],
    ["a pixel above 255", (c: string[]) => (c[1] = c[1]!.replace(/^\d+/, "256")), /--extra-csv .*bad\.csv:4: column pixels: values must be within 0\.\.255/],
    ["emotion 7", (c: string[]) => (c[0] = "7"), /--extra-csv .*bad\.csv:4: column emotion: 7 is outside 0\.\.6/],
    ["emotion 'happy'", (c: string[]) => (c[0] = "happy"), /--extra-csv .*bad\.csv:4: column emotion: 'happy' is not an integer 0\.\.6/],
  ])("rejects an extra CSV with %s, naming the line and the column", async (_what, spoil, message) => {
    const bad = writeFerCsv("bad.csv", 5, { spoil, at: 2 });
    const r = await train(["--extra-csv", bad, "--epochs", "1"], "bad");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain("Traceback");
  });

  it("rejects a bad header, a missing file and a weight out of range", async () => {
    const header = join(tmp, "header.csv");
    writeFileSync(header, "label,pixels\n1,2\n");
    const r1 = await train(["--eval-csv", header, "--epochs", "1"], "bad");
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain("--eval-csv");
    expect(r1.stderr).toContain("expected header 'emotion,pixels' or 'emotion,pixels,Usage'");
    const r2 = await train(["--extra-csv", join(tmp, "absent.csv"), "--epochs", "1"], "bad");
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/--extra-csv: no CSV at .*absent\.csv/);
    const r3 = await train(["--extra-csv", writeFerCsv("ok.csv", 3), "--extra-weight", "0", "--epochs", "1"], "bad");
    expect(r3.code).toBe(2);
    expect(r3.stderr).toContain("--extra-weight must be > 0 and at most 100, got 0.0");
    const r4 = await train(["--width", "16,32", "--epochs", "1"], "bad");
    expect(r4.code).toBe(2);
    expect(r4.stderr).toContain("--width: expected 4 comma-separated widths within 4..512, got '16,32'");
  });
});
