import { toModelVersionView } from "@emotion/db";
import { ActivationResult, AppError, ErrorBody, ModelsResponse, type ModelVersionView } from "@emotion/protocol";
import { z } from "zod";
import { defineCommand } from "../args";
import { env } from "../env";
import { formatTable, printJson } from "../output";
import { defineGroup } from "./group";
import { withDatabase } from "./open-db";

const SERVER_FLAG = {
  server: {
    type: "string" as const,
    value: "URL",
    description: "use this running server's admin API (needs ADMIN_TOKEN) instead of opening the database: the way with an embedded database a server holds",
  },
};
const Server = z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL such as http://localhost:3000" }).optional();

/** Calls the admin API; its coded errors come back as the same AppError. */
async function callAdmin<T>(server: string, method: "GET" | "POST", path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
  if (!env.ADMIN_TOKEN) throw new AppError("UNAUTHORIZED", "--server needs ADMIN_TOKEN set to the server's admin token");
  const url = new URL(path, server.endsWith("/") ? server : `${server}/`);
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${env.ADMIN_TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  }).catch((e: Error) => {
    throw new AppError("NOT_READY", `cannot reach ${url.origin}: ${e.message}`);
  });
  const json: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error = ErrorBody.safeParse(json);
    if (error.success) throw new AppError(error.data.error.code, error.data.error.message);
    throw new AppError("INTERNAL", `${method} ${url.pathname} answered ${response.status}`);
  }
  return schema.parse(json);
}

const points = (a: number | null) => (a === null ? "-" : `${(a * 100).toFixed(2)} %`);

const list = defineCommand({
  name: "models list",
  summary: "List the model versions: which is active, their PublicTest and held-out feedback accuracy.",
  positionals: [],
  flags: { ...SERVER_FLAG, json: { type: "boolean", description: 'print {"models":[{"version","active","publicTest":{"accuracy"}}]}' } },
  schema: z.object({ server: Server, json: z.boolean().default(false) }),
  examples: ["pnpm emotion models list", "ADMIN_TOKEN=... pnpm emotion models list --server http://localhost:3000 --json"],
  async run(o) {
    const models: ModelVersionView[] = o.server
      ? (await callAdmin(o.server, "GET", "api/models", ModelsResponse)).models
      : await withDatabase(async (db) => {
          const { conflicts } = await db.seedModels();
          // A registry entry whose number a trained version took first is left out; say so rather than hide it.
          for (const v of conflicts)
            process.stderr.write(
              `warning: models/registry.json lists version ${v}, which this database already holds for another model; that entry is not used\n`,
            );
          return (await db.listModels()).map(toModelVersionView);
        });
    if (o.json) return printJson({ models: models.map((m) => ({ version: m.version, active: m.active, publicTest: { accuracy: m.publicTest.accuracy } })) });
    const rows = models.map((m) => [
      m.active ? `${m.version} *` : String(m.version),
      m.source,
      m.status,
      points(m.publicTest.accuracy),
      m.feedbackEval ? `${points(m.feedbackEval.accuracy)} of ${m.feedbackEval.n}` : "-",
      m.createdAt.slice(0, 19).replace("T", " "),
    ]);
    process.stdout.write(formatTable(["version", "source", "status", "PublicTest", "held-out feedback", "created (UTC)"], rows));
  },
});

function printActivation(verb: string, r: ActivationResult, json: boolean): void {
  if (json) return printJson(r);
  process.stdout.write(`${verb}: version ${r.version} is active (was ${r.previous ?? "none"})${r.forced ? ", forced past the PublicTest gate" : ""}\n`);
  process.stdout.write("running servers switch to it within MODEL_POLL_MS (default 2 s)\n");
}

const promote = defineCommand({
  name: "models promote",
  summary: "Make a version active; refused when it is worse on PublicTest than the active one by more than 0.3 points, unless --force.",
  positionals: [{ name: "version", label: "<version>", description: "the version to activate (emotion models list)" }],
  flags: {
    force: { type: "boolean", description: "promote even past the PublicTest gate" },
    ...SERVER_FLAG,
    json: { type: "boolean", description: 'print {"version","previous","forced"}' },
  },
  schema: z.object({
    version: z.coerce
      .number({ error: "is required (a version number)" })
      .int({ error: "must be an integer" })
      .min(1, { error: "must be at least 1" })
      .max(2_147_483_647, { error: "must be at most 2147483647" }),
    force: z.boolean().default(false),
    server: Server,
    json: z.boolean().default(false),
  }),
  examples: ["pnpm emotion models promote 2", "pnpm emotion models promote 3 --force"],
  async run(o) {
    const result = o.server
      ? await callAdmin(o.server, "POST", `api/models/${o.version}/promote`, ActivationResult, { force: o.force })
      : await withDatabase((db) => db.promoteModel(o.version, { force: o.force }));
    printActivation("promoted", result, o.json);
  },
});

const rollback = defineCommand({
  name: "models rollback",
  summary: "Undo the latest promotion: the version active before it is active again.",
  positionals: [],
  flags: { ...SERVER_FLAG, json: { type: "boolean", description: 'print {"version","previous","forced"}' } },
  schema: z.object({ server: Server, json: z.boolean().default(false) }),
  async run(o) {
    const result = o.server ? await callAdmin(o.server, "POST", "api/models/rollback", ActivationResult, {}) : await withDatabase((db) => db.rollbackModel());
    printActivation("rolled back", result, o.json);
  },
});

export const models = defineGroup("models", "The model versions: list, promote, rollback (locally, or on a running server with --server).", [
  list,
  promote,
  rollback,
]);
