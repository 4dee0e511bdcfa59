import { createWriteStream, existsSync, statSync } from "node:fs";
import { once } from "node:events";
import { SAMPLE_SOURCE } from "@emotion/db";
import { EMOTIONS } from "@emotion/protocol";
import { z } from "zod";
import { defineCommand, usageError } from "../args";
import { formatTable, printJson, resolveUserPath } from "../output";
import { importFerCsv, importFolder, type ImportReport } from "./data-import";
import { defineGroup } from "./group";
import { withDatabase } from "./open-db";

const Source = z.string().regex(SAMPLE_SOURCE, { error: "must be 1-64 letters, digits, '.', '_' or '-'" });
const SessionId = z.uuid({ error: "must be a session id (a UUID)" });
const JSON_FLAG = { json: { type: "boolean" as const, description: "print one JSON object as the last line of stdout" } };

const list = defineCommand({
  name: "data list",
  summary: "List the training samples in use (not removed), oldest first.",
  positionals: [],
  flags: {
    source: { type: "string", value: "NAME", description: "only this source (feedback: listeners' corrections)" },
    session: { type: "string", value: "ID", description: "only samples from this session" },
    limit: { type: "string", value: "N", description: "at most N samples (1..1000000, default 100000)" },
    json: { type: "boolean", description: 'print {"samples":[{"id","label","source","sessionId","createdAt"}]}' },
  },
  schema: z.object({
    source: Source.optional(),
    session: SessionId.optional(),
    limit: z.coerce
      .number({ error: "must be a number" })
      .int({ error: "must be an integer" })
      .min(1, { error: "must be at least 1" })
      .max(1_000_000, { error: "must be at most 1000000" })
      .default(100_000),
    json: z.boolean().default(false),
  }),
  examples: ["pnpm emotion data list --source feedback", "pnpm emotion data list --json"],
  async run(o) {
    await withDatabase(async (db) => {
      const filter = { source: o.source, sessionId: o.session };
      const [samples, counts] = await Promise.all([db.listSamples({ ...filter, limit: o.limit }), db.countSamples(filter)]);
      if (counts.active > samples.length) process.stderr.write(`showing ${samples.length} of ${counts.active} samples (--limit)\n`);
      if (o.json)
        return printJson({
          samples: samples.map((s) => ({ id: s.id, label: s.label, source: s.source, sessionId: s.sessionId, createdAt: s.createdAt.toISOString() })),
        });
      const rows = samples.map((s) => [
        s.id,
        s.label,
        s.source,
        s.sessionId ?? "-",
        s.origin ?? (s.correctionId ? "correction" : "-"),
        s.createdAt.toISOString(),
      ]);
      process.stdout.write(formatTable(["id", "label", "source", "session", "origin", "created"], rows));
      process.stdout.write(`${counts.active} in use, ${counts.removed} removed (removed samples are never used again)\n`);
    });
  },
});

function printImport(r: ImportReport, json: boolean): void {
  if (json) return printJson(r);
  process.stdout.write(`source ${r.source}: ${r.added} sample(s) added\n`);
  const lines: Array<[string, Array<string | null>]> = [
    ["skipped: the same image is stored already or was removed before", r.skipped],
    ["no face found (not added)", r.noFace],
    ["more than one face: which one the label means is unknown (not added)", r.manyFaces],
    ["not a JPEG, PNG or WebP image (not added)", r.notImages],
  ];
  for (const [what, items] of lines) if (items.length) process.stdout.write(`${items.length} ${what}:\n${items.map((i) => `  ${i ?? "?"}`).join("\n")}\n`);
}

const add = defineCommand({
  name: "data add",
  summary: "Add a folder of labelled images (subfolders named by emotion) or a FER-format CSV as a named source.",
  positionals: [
    {
      name: "input",
      label: "<folder|csv>",
      description: `a folder with subfolders ${EMOTIONS.join(", ")} of photos, or a CSV emotion,pixels[,Usage] (.csv or .csv.gz)`,
    },
  ],
  flags: { source: { type: "string", value: "NAME", description: "the source's name (required; 'feedback' is reserved)" }, ...JSON_FLAG },
  schema: z.object({
    input: z.string({ error: "is required (a folder or a CSV)" }).min(1),
    source: Source.refine((s) => s !== "feedback", { error: "'feedback' is reserved for listeners' corrections" }),
    json: z.boolean().default(false),
  }),
  examples: ["pnpm emotion data add ./my-photos --source lab-2026", "pnpm emotion data add extra.csv --source kaggle-extra --json"],
  async run(o) {
    const path = resolveUserPath(o.input);
    if (!existsSync(path)) throw usageError(`<folder|csv>: nothing at ${path}`);
    const isFolder = statSync(path).isDirectory();
    await withDatabase(async (db) => printImport(isFolder ? await importFolder(db, path, o.source) : await importFerCsv(db, path, o.source), o.json));
  },
});

const remove = defineCommand({
  name: "data remove",
  summary: "Remove samples by id, session or source: their pixels are deleted and the image is never used again.",
  positionals: [],
  flags: {
    id: { type: "string", value: "ID", description: "one sample" },
    session: { type: "string", value: "ID", description: "every sample from this session" },
    source: { type: "string", value: "NAME", description: "every sample of this source" },
    ...JSON_FLAG,
  },
  schema: z
    .object({
      id: z.uuid({ error: "must be a sample id (a UUID, from emotion data list)" }).optional(),
      session: SessionId.optional(),
      source: Source.optional(),
      json: z.boolean().default(false),
    })
    .refine((o) => [o.id, o.session, o.source].filter(Boolean).length === 1, { error: "give exactly one of --id, --session, --source", path: ["id"] }),
  examples: ["pnpm emotion data remove --source lab-2026", "pnpm emotion data remove --id 6f1c..."],
  async run(o) {
    const filter = o.id ? { id: o.id } : o.session ? { sessionId: o.session } : { source: o.source! };
    const { removed } = await withDatabase((db) => db.removeSamples(filter));
    if (o.json) return printJson({ removed });
    process.stdout.write(`${removed} sample(s) removed\n`);
  },
});

const exportCommand = defineCommand({
  name: "data export",
  summary: "Export the samples in use to a FER-format CSV (emotion,pixels,Usage); removed samples are never exported.",
  positionals: [],
  flags: {
    out: { type: "string", value: "FILE.csv", description: "where to write (required)" },
    source: { type: "string", value: "NAME", description: "only this source" },
    ...JSON_FLAG,
  },
  schema: z.object({
    out: z.string({ error: "is required (a .csv file)" }).regex(/\.csv$/i, { error: "must end in .csv" }),
    source: Source.optional(),
    json: z.boolean().default(false),
  }),
  examples: ["pnpm emotion data export --out samples.csv"],
  async run(o) {
    const path = resolveUserPath(o.out);
    const exported = await withDatabase((db) => writeSamplesCsv(db.exportSamples({ source: o.source }), path, () => "Training"));
    if (o.json) return printJson({ exported: exported.rows, path });
    process.stdout.write(`${exported.rows} sample(s) written to ${path}\n`);
  },
});

/** Writes samples as FER rows (emotion index, pixels, Usage from `usageOf`); returns rows written and ids. */
export async function writeSamplesCsv(
  batches: AsyncIterable<Array<{ id: string; label: (typeof EMOTIONS)[number]; pixels: Uint8Array }>>,
  path: string,
  usageOf: (id: string) => string | null,
): Promise<{ rows: number; ids: string[] }> {
  const out = createWriteStream(path);
  const ids: string[] = [];
  try {
    out.write("emotion,pixels,Usage\n");
    for await (const batch of batches) {
      for (const s of batch) {
        const usage = usageOf(s.id);
        if (usage === null) continue;
        ids.push(s.id);
        if (!out.write(`${EMOTIONS.indexOf(s.label)},${Array.from(s.pixels).join(" ")},${usage}\n`)) await once(out, "drain");
      }
    }
  } finally {
    out.end();
    await once(out, "close");
  }
  return { rows: ids.length, ids };
}

export const data = defineGroup("data", "Manage the training samples (listeners' corrections and imported sources): list, add, remove, export.", [
  list,
  add,
  remove,
  exportCommand,
]);
