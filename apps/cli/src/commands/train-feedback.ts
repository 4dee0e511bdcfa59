import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Db } from "@emotion/db";
import { AppError, EMOTIONS, ModelCard, PROMOTION_TOLERANCE_POINTS } from "@emotion/protocol";
import { loadClassifier } from "@emotion/vision/node";
import { z } from "zod";
import { defineCommand } from "../args";
import { env } from "../env";
import { FER_SIDE, readFerCsv } from "../fer-csv";
import { printJson, resolveUserPath } from "../output";
import { findPython } from "../python";
import { resizeGrey } from "../resize";
import { writeSamplesCsv } from "./data";
import { withDatabase } from "./open-db";

/** training/ at the repository root: where `python3 -m fer_trainer.train` runs. */
export const TRAINING_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../../../training");

/** Whether a sample is held out: a fixed function of its id, so the same sample is always on the same side. */
export function isHeldOut(id: string, share: number): boolean {
  return createHash("sha256").update(id).digest().readUInt32BE(0) / 2 ** 32 < share;
}

const num = (what: string) => z.coerce.number({ error: `must be ${what}` });

const Options = z.object({
  epochs: num("a number").int({ error: "must be an integer" }).min(1, { error: "must be at least 1" }).max(500, { error: "must be at most 500" }).default(2),
  feedbackWeight: num("a number").gt(0, { error: "must be > 0" }).max(100, { error: "must be at most 100" }).default(5),
  holdout: num("a number").min(0, { error: "must be at least 0" }).max(0.9, { error: "must be at most 0.9" }).default(0.2),
  lr: num("a number").gt(0, { error: "must be > 0" }).max(1, { error: "must be at most 1" }).default(1e-4),
  csv: z.string().min(1).optional(),
  votes: z.string().min(1).optional(),
  limit: num("a number").int().min(1, { error: "must be at least 1" }).max(1_000_000, { error: "must be at most 1000000" }).optional(),
  threads: num("a number").int().min(0, { error: "must be at least 0" }).max(256, { error: "must be at most 256" }).optional(),
  device: z.enum(["auto", "cpu", "cuda"], { error: "must be auto, cpu or cuda" }).optional(),
  schedule: z.enum(["swa", "one-cycle"], { error: "must be swa or one-cycle" }).default("swa"),
  json: z.boolean().default(false),
});
type Options = z.infer<typeof Options>;

/** Runs the trainer with its output on our stderr (stdout stays for --json); returns its exit code and output. */
function runTrainer(args: string[]): Promise<{ code: number; output: string }> {
  const python = findPython();
  const childEnv = { ...process.env, PYTHONPATH: [TRAINING_DIR, process.env.PYTHONPATH].filter(Boolean).join(":") };
  const child = spawn(python, ["-m", "fer_trainer.train", ...args], { cwd: TRAINING_DIR, env: childEnv, stdio: ["ignore", "pipe", 2] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    process.stderr.write(chunk);
    output = (output + chunk.toString()).slice(-100_000);
  });
  return new Promise((resolve, reject) => {
    child.on("error", (e) => reject(new AppError("INTERNAL", `cannot run ${python}: ${e.message} (set PYTHON to a Python 3 with torch)`)));
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 130 : 1), output }));
  });
}

/** Accuracy of a model on a FER-format CSV (the held-out feedback), with the same runtime the server uses. */
async function measure(model: Uint8Array | string, card: ModelCard, csv: string): Promise<{ accuracy: number; n: number }> {
  const classifier = await loadClassifier({ model, card: card as never, threads: 1 });
  try {
    const side = card.input.size;
    let right = 0;
    let n = 0;
    let batch: Array<{ pixels: Uint8Array; emotion: number }> = [];
    const flush = async () => {
      const results = await classifier.classify(batch.map((r) => (side === FER_SIDE ? r.pixels : resizeGrey(r.pixels, FER_SIDE, side))));
      results.forEach((result, i) => (right += EMOTIONS.indexOf(result.dominant) === batch[i]!.emotion ? 1 : 0));
      n += batch.length;
      batch = [];
    };
    for await (const row of readFerCsv(csv)) {
      batch.push(row);
      if (batch.length === 64) await flush();
    }
    if (batch.length) await flush();
    return { accuracy: n ? right / n : 0, n };
  } finally {
    await classifier.release();
  }
}

/** Writes the active model and the feedback split to `work`; the database is closed again before training. */
async function prepare(db: Db, o: Options, work: string) {
  const active = await db.activeModel();
  const train = await writeSamplesCsv(db.exportSamples(), join(work, "feedback-train.csv"), (id) => (isHeldOut(id, o.holdout) ? null : "Training"));
  const held = await writeSamplesCsv(db.exportSamples(), join(work, "feedback-eval.csv"), (id) => (isHeldOut(id, o.holdout) ? "PublicTest" : null));
  if (train.rows === 0)
    throw new AppError(
      "NOT_READY",
      `no training samples outside the held-out share (${held.rows} held out): add some with \`emotion data add\`, or collect listeners' corrections`,
    );
  const initFrom = active.file ?? join(work, `active-v${active.version}.onnx`);
  if (!active.file) writeFileSync(initFrom, active.onnx!);
  return { active, train, held, initFrom };
}

async function fineTune(o: Options, work: string, prepared: Awaited<ReturnType<typeof prepare>>) {
  const { active, train, held, initFrom } = prepared;
  const out = join(work, "candidate");
  const args = [
    "--init-from",
    initFrom,
    "--extra-csv",
    join(work, "feedback-train.csv"),
    "--extra-weight",
    String(o.feedbackWeight),
    "--epochs",
    String(o.epochs),
    "--lr",
    String(o.lr),
  ];
  if (held.rows) args.push("--eval-csv", join(work, "feedback-eval.csv"));
  if (o.csv) args.push("--csv", resolveUserPath(o.csv));
  else if (env.FER_CSV) args.push("--csv", resolveUserPath(env.FER_CSV));
  if (o.votes) args.push("--votes", o.votes === "none" ? "none" : resolveUserPath(o.votes));
  if (o.limit) args.push("--limit", String(o.limit));
  if (o.threads !== undefined) args.push("--threads", String(o.threads));
  if (o.device) args.push("--device", o.device);
  if (o.schedule === "swa") args.push("--swa");
  args.push("--out", out, "--checkpoint", join(work, "candidate.pt"), "--cache-dir", join(work, "cache"));
  process.stderr.write(`fine-tuning version ${active.version} on ${train.rows} feedback sample(s) (weight ${o.feedbackWeight}), ${held.rows} held out\n`);
  const { code, output } = await runTrainer(args);
  if (code !== 0 || !existsSync(`${out}.onnx`)) throw new AppError("INTERNAL", `the trainer failed (exit ${code}); its output is above`);

  const card = ModelCard.parse(JSON.parse(readFileSync(`${out}.card.json`, "utf8")));
  const onnx = new Uint8Array(readFileSync(`${out}.onnx`));
  // What it learnt from, for audits: the sample set is fixed by its ids (a later removal does not change a trained version).
  const sampleSet = createHash("sha256").update(train.ids.sort().join(",")).digest("hex");
  card.feedbackTraining = {
    baseVersion: active.version,
    samples: train.rows,
    heldOut: held.rows,
    holdout: o.holdout,
    weight: o.feedbackWeight,
    sampleSetSha256: sampleSet,
  };
  // The trainer measures the starting model on the same PublicTest rows: the like-for-like baseline (the
  // active card's figure is from its own run, on whatever data that used).
  const baseline = /initialised from .* \(PublicTest ([\d.]+)\)/.exec(output);
  if (baseline) card.publicTestBaseline = { version: active.version, accuracy: Number(baseline[1]) };
  const activeHeld = held.rows ? await measure(active.onnx ?? active.file!, active.card, join(work, "feedback-eval.csv")) : null;
  return { card, onnx, activeHeld };
}

const pct = (a: number | undefined) => (a === undefined ? "-" : `${(a * 100).toFixed(2)} %`);

export const trainFeedback = defineCommand({
  name: "train --feedback",
  summary: "Fine-tune the active model on FER2013 Training plus the feedback samples, evaluate, and register a candidate version.",
  positionals: [],
  flags: {
    epochs: { type: "string", value: "N", description: "fine-tuning epochs (1..500, default 2)" },
    feedbackWeight: { type: "string", value: "W", description: "sampling weight of a feedback sample relative to a FER2013 row (> 0, at most 100, default 5)" },
    holdout: { type: "string", value: "F", description: "share of the samples held out for evaluation, chosen by sample id (0..0.9, default 0.2)" },
    lr: { type: "string", value: "X", description: "learning rate (default 1e-4)" },
    csv: { type: "string", value: "FILE", description: "the FER2013 CSV (default: FER_CSV, else the trainer's)" },
    votes: { type: "string", value: "FILE|none", description: "FER+ votes CSV for soft labels (default: the trainer's)" },
    limit: { type: "string", value: "N", description: "use only the first N rows of each FER2013 split (smoke runs)" },
    threads: { type: "string", value: "N", description: "torch threads (0 = all cores)" },
    device: { type: "string", value: "auto|cpu|cuda", description: "where to train (default auto)" },
    schedule: {
      type: "string",
      value: "swa|one-cycle",
      description: "swa (default): constant learning rate, every epoch's weights averaged; one-cycle: a fresh one-cycle schedule",
    },
    json: { type: "boolean", description: 'print {"version","publicTest","feedbackEval","active"} as the last line of stdout' },
  },
  schema: Options,
  examples: ["pnpm emotion train --feedback --epochs 3", "pnpm emotion train --feedback --feedback-weight 10 --holdout 0.25 --json"],
  async run(o) {
    const work = mkdtempSync(join(tmpdir(), "emotion-feedback-"));
    try {
      const prepared = await withDatabase((db) => prepare(db, o, work));
      const { active } = prepared;
      const { card, onnx, activeHeld } = await fineTune(o, work, prepared);
      const { version } = await withDatabase((db) => db.registerModel({ card, onnx }));
      const candidate = card.publicTest?.accuracy;
      const base = active.card.publicTest?.accuracy;
      const sameRows = (card.publicTestBaseline as { accuracy: number } | undefined)?.accuracy ?? null;
      const summary = {
        version,
        publicTest: { accuracy: candidate ?? null },
        feedbackEval: card.extraEval ? { accuracy: card.extraEval.accuracy, n: card.extraEval.n } : null,
        active: { version: active.version, publicTest: { accuracy: base ?? null }, feedbackEval: activeHeld, sameRowsPublicTest: sameRows },
        promote: `pnpm emotion models promote ${version}`,
      };
      if (o.json) return printJson(summary);
      const gap = candidate !== undefined && base !== undefined ? (candidate - base) * 100 : null;
      process.stdout.write(`candidate version ${version} registered (from version ${active.version})\n`);
      process.stdout.write(
        `  PublicTest: ${pct(candidate)} (version ${active.version}: ${pct(base)}${gap === null ? "" : `, ${gap >= 0 ? "+" : ""}${gap.toFixed(2)} points`})\n`,
      );
      if (sameRows !== null) process.stdout.write(`  version ${active.version} on the same PublicTest rows: ${pct(sameRows)}\n`);
      if (card.extraEval && activeHeld)
        process.stdout.write(
          `  held-out feedback (${card.extraEval.n}): ${pct(card.extraEval.accuracy)} (version ${active.version}: ${pct(activeHeld.accuracy)})\n`,
        );
      const refused = gap !== null && -gap > PROMOTION_TOLERANCE_POINTS;
      process.stdout.write(
        `promote it: ${summary.promote}${refused ? ` --force (without it promotion is refused: more than ${PROMOTION_TOLERANCE_POINTS} points below on PublicTest)` : ""}\n`,
      );
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
});
