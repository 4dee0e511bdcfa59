import { existsSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { AppError, EMOTIONS } from "@emotion/protocol";
import type { Vision } from "@emotion/vision";
import { loadVision } from "@emotion/vision/node";
import { z } from "zod";
import { defineCommand, usageError } from "../args";
import { env } from "../env";
import { FER_SIDE, readFerCsv, type FerRow } from "../fer-csv";
import { majorityLabel, readFerPlusVotes, type FerPlusRow } from "../ferplus";
import { computeMetrics, emptyConfusion, type Metrics } from "../metrics";
import { formatTable, printJson, resolveUserPath, startProgress } from "../output";
import { writeConfusionPng } from "../render/confusion";
import { writeSamplesPng, type Sample } from "../render/samples";
import { resizeGrey } from "../resize";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
/** The FER2013 copy beside the repository (see ../shared/data/fer2013/README.md). */
export const DEFAULT_FER_CSV = resolve(REPO_ROOT, "../shared/data/fer2013/fer2013.csv.gz");
const BATCH = 256;
const SAMPLES_PER_CLASS = 8;

const Options = z.object({
  csv: z.string().min(1).optional(),
  usage: z.string().min(1, { error: "must not be empty" }).optional(),
  model: z.string().min(1).optional(),
  json: z.boolean().default(false),
  outDir: z.string().min(1).default("eval-out"),
  ferplus: z.string().min(1, { error: "must not be empty" }).optional(),
});

function checkCsv(csvFlag: string | undefined): string {
  const path = csvFlag ? resolveUserPath(csvFlag) : env.FER_CSV ? resolveUserPath(env.FER_CSV) : DEFAULT_FER_CSV;
  if (existsSync(path) && statSync(path).isFile()) return path;
  if (csvFlag) throw usageError(`--csv: no file at ${path}`);
  throw usageError(
    `--csv: FER2013 not found at ${path}. FER2013 is the Kaggle "Challenges in Representation Learning: Facial ` +
      'Expression Recognition" data set (fer2013.csv, header emotion,pixels,Usage); this project expects it at ' +
      "../shared/data/fer2013/fer2013.csv.gz beside the repository. Pass --csv <file.csv|file.csv.gz> or set FER_CSV.",
  );
}

/** Scores against the FER+ majority label (faces without one are counted in `dropped`). */
interface FerPlusMetrics extends Metrics {
  dropped: number;
}

interface Evaluation {
  metrics: Metrics;
  ferplus: FerPlusMetrics | null;
  samples: Sample[][];
  skipped: number;
  usages: Set<string>;
}

function checkVotes(flag: string | undefined): string | undefined {
  if (flag === undefined) return undefined;
  const path = resolveUserPath(flag);
  if (!existsSync(path) || !statSync(path).isFile()) throw usageError(`--ferplus: no file at ${path}`);
  return path;
}

/** The vote row that belongs to the CSV's `index`-th data row: same order, same Usage, or a clear error. */
function votesFor(votes: FerPlusRow[], index: number, row: FerRow, csv: string): FerPlusRow {
  const v = votes[index];
  if (!v)
    throw new AppError("VALIDATION_FAILED", `--ferplus: ${votes.length} vote rows, but ${csv} has more data rows; the votes must align with it row by row`);
  if (v.usage !== row.usage)
    throw new AppError(
      "VALIDATION_FAILED",
      `--ferplus: vote row ${index + 1} is Usage=${v.usage}, but ${csv}:${row.line} is Usage=${row.usage}; the files do not align`,
    );
  return v;
}

async function evaluate(vision: Vision, csv: string, usage: string | undefined, votes: FerPlusRow[] | null): Promise<Evaluation> {
  const side = vision.card.input.size;
  const confusion = emptyConfusion(EMOTIONS.length);
  const plusConfusion = emptyConfusion(EMOTIONS.length);
  let dropped = 0;
  let index = 0;
  let batchPlus: Array<number | null> = [];
  const samples: Sample[][] = EMOTIONS.map(() => []);
  const usages = new Set<string>();
  let skipped = 0;
  let batch: FerRow[] = [];
  const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
  const progress = startProgress("eval", mb(statSync(csv).size), " MB");
  let bytes = 0;
  let rows = 0;

  async function flush() {
    const crops = batch.map((r) => (side === FER_SIDE ? r.pixels : resizeGrey(r.pixels, FER_SIDE, side)));
    const results = await vision.classify(crops);
    results.forEach((result, i) => {
      const row = batch[i]!;
      const predicted = EMOTIONS.indexOf(result.dominant);
      confusion[row.emotion]![predicted]!++;
      const plus = batchPlus[i];
      if (plus !== undefined && plus !== null) plusConfusion[plus]![predicted]!++;
      const bucket = samples[row.emotion]!;
      if (bucket.length < SAMPLES_PER_CLASS) bucket.push({ pixels: row.pixels, side: FER_SIDE, truth: EMOTIONS[row.emotion]!, predicted: result.dominant });
    });
    rows += batch.length;
    batch = [];
    batchPlus = [];
    progress.update(mb(bytes), { detail: `${rows} faces` });
  }

  try {
    for await (const row of readFerCsv(csv, (b) => (bytes = b))) {
      usages.add(row.usage);
      const voteRow = votes ? votesFor(votes, index, row, csv) : null;
      index++;
      if (usage !== undefined && row.usage !== usage) {
        skipped++;
        continue;
      }
      const plus = voteRow ? majorityLabel(voteRow.votes) : null;
      if (voteRow && plus === null) dropped++;
      batch.push(row);
      batchPlus.push(plus);
      if (batch.length === BATCH) await flush();
    }
    if (batch.length) await flush();
  } finally {
    progress.stop();
  }
  if (votes && index !== votes.length)
    throw new AppError("VALIDATION_FAILED", `--ferplus: ${votes.length} vote rows for ${index} data rows in ${csv}; the votes must align with it row by row`);
  const ferplus = votes ? { ...computeMetrics(plusConfusion, EMOTIONS), dropped } : null;
  return { metrics: computeMetrics(confusion, EMOTIONS), ferplus, samples, skipped, usages };
}

function report(m: Metrics, plus: FerPlusMetrics | null, csv: string, usage: string | undefined, skipped: number): string {
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  const lines = [
    `${csv}${usage ? ` (Usage=${usage})` : ""}: ${m.n} faces${skipped ? `, ${skipped} rows of other Usage skipped` : ""}`,
    `accuracy ${pct(m.accuracy)}   macro-F1 ${pct(m.macroF1)}`,
    ...(plus
      ? [`FER+ majority label: accuracy ${pct(plus.accuracy)}   macro-F1 ${pct(plus.macroF1)}   (${plus.n} faces; ${plus.dropped} without a majority left out)`]
      : []),
    "",
  ];
  const perClass = EMOTIONS.map((e) => {
    const c = m.perClass[e]!;
    return [e, pct(c.precision), pct(c.recall), pct(c.f1), c.support];
  });
  const confusion = m.confusion.map((row, i) => [EMOTIONS[i]!, ...row]);
  return [
    ...lines,
    formatTable(["class", "precision", "recall", "F1", "support"], perClass),
    "confusion (rows true, columns predicted):",
    formatTable(["", ...EMOTIONS.map((e) => e.slice(0, 7))], confusion),
  ].join("\n");
}

export const evalCommand = defineCommand({
  name: "eval",
  summary: "Evaluate the emotion classifier on a FER2013-format CSV of 48x48 face crops.",
  positionals: [],
  flags: {
    csv: { type: "string", value: "FILE", description: "FER2013 CSV or CSV.gz (default $FER_CSV or ../shared/data/fer2013/fer2013.csv.gz)" },
    usage: { type: "string", value: "VALUE", description: "only rows whose Usage is VALUE, e.g. PublicTest (default: all rows)" },
    model: { type: "string", value: "FILE.onnx", description: "another emotion model; its card is FILE.card.json (default: the shipped model)" },
    json: { type: "boolean", description: "print one JSON object as the last line of stdout" },
    outDir: { type: "string", value: "DIR", description: "where confusion.png and samples.png go (default ./eval-out)" },
    ferplus: {
      type: "string",
      value: "VOTES.csv",
      description: "also score against the FER+ majority label (votes CSV aligned row by row with --csv, e.g. ../shared/data/fer2013/fer2013plus-votes.csv)",
    },
  },
  schema: Options,
  examples: [
    "pnpm emotion eval --csv ../shared/data/fer2013/fer2013.csv.gz --usage PublicTest",
    "pnpm emotion eval --usage PublicTest --ferplus ../shared/data/fer2013/fer2013plus-votes.csv --json",
  ],
  async run(o) {
    const csv = checkCsv(o.csv);
    const votesPath = checkVotes(o.ferplus);
    const votes = votesPath ? await readFerPlusVotes(votesPath) : null;
    if (o.model && !existsSync(resolveUserPath(o.model))) throw usageError(`--model: no file at ${resolveUserPath(o.model)}`);
    const outDir = resolveUserPath(o.outDir);
    const vision = await loadVision(o.model ? { modelPath: resolveUserPath(o.model) } : {});
    let result: Evaluation;
    try {
      result = await evaluate(vision, csv, o.usage, votes);
    } finally {
      await vision.release();
    }
    const { metrics, ferplus, samples, skipped, usages } = result;
    if (metrics.n === 0) {
      const found = [...usages].filter(Boolean).join(", ") || "none";
      throw usageError(`--usage: no rows with Usage=${o.usage ?? "(any)"} in ${csv} (Usage values found: ${found})`);
    }
    await mkdir(outDir, { recursive: true });
    const title = `FER2013${o.usage ? ` ${o.usage}` : ""}: accuracy ${(metrics.accuracy * 100).toFixed(1)}%, n=${metrics.n}`;
    await writeConfusionPng(metrics.confusion, EMOTIONS, title, join(outDir, "confusion.png"));
    await writeSamplesPng(
      samples.filter((row) => row.length > 0),
      join(outDir, "samples.png"),
    );
    if (o.json) return printJson(ferplus ? { ...metrics, ferplus } : metrics);
    process.stdout.write(report(metrics, ferplus, csv, o.usage, skipped));
    process.stdout.write(`\nwrote ${join(outDir, "confusion.png")} and ${join(outDir, "samples.png")}\n`);
  },
});
