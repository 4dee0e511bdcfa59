/**
 * `pnpm chaos`: faults against the real server on a real Postgres of its own, with figures.
 *   pnpm chaos [--quick] [--json] [--only kill,outage,shutdown,hostile,cluster] [--soak-minutes 30 --soak-listeners 200]
 * Exits 1 when any scenario loses an acked reading, stores one twice, stores hostile input, answers bad
 * input with a 5xx, or crashes.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { loadCropPool } from "@emotion/loadtest/crops";
import { clusterScenario } from "./cluster";
import { startThrowawayPostgres } from "./postgres";
import { hostileScenario, killScenario, outageScenario, shutdownScenario, soakScenario, type Context, type ScenarioResult } from "./scenarios";

const SCENARIOS = ["kill", "outage", "shutdown", "hostile", "cluster"] as const;

const Args = z.object({
  quick: z.boolean(),
  json: z.boolean(),
  only: z
    .string()
    .transform((s) =>
      s
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(SCENARIOS))),
  "soak-minutes": z.coerce
    .number()
    .min(0)
    .max(24 * 60),
  "soak-listeners": z.coerce.number().int().min(1).max(5000),
  listeners: z.coerce.number().int().min(1).max(2000),
  "outage-seconds": z.coerce.number().min(1).max(3600),
});

function parse() {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      // default: every scenario, or none when only the soak was asked for
      only: { type: "string" },
      "soak-minutes": { type: "string", default: "0" },
      "soak-listeners": { type: "string", default: "200" },
      listeners: { type: "string", default: "20" },
      "outage-seconds": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      "usage: pnpm chaos [--quick] [--json] [--only kill,outage,shutdown,hostile,cluster] [--listeners 20] [--outage-seconds 60] [--soak-minutes 30 --soak-listeners 200]\n",
    );
    process.exit(0);
  }
  const isSoakOnly = Number(values["soak-minutes"]) > 0 && values.only === undefined;
  const parsed = Args.safeParse({
    ...values,
    only: values.only ?? (isSoakOnly ? "" : SCENARIOS.join(",")),
    "outage-seconds": values["outage-seconds"] ?? (values.quick ? "15" : "60"),
  });
  if (!parsed.success) {
    process.stderr.write(`chaos: ${parsed.error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`).join("; ")}\n`);
    process.exit(2);
  }
  return parsed.data;
}

async function main() {
  const args = parse();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log("chaos: starting a Postgres of its own and loading face crops…");
  const [pg, crops] = await Promise.all([startThrowawayPostgres(), loadCropPool()]);
  const ctx: Context = { pg, crops, log };
  // Interrupted (Ctrl-C, a CI timeout): the Postgres of our own must not outlive us.
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.once(signal, () => {
      log(`chaos: ${signal}, removing its Postgres`);
      void pg.destroy().finally(() => process.exit(130));
    });
  const results: ScenarioResult[] = [];
  const n = args.listeners;
  try {
    for (const name of args.only) {
      log(`chaos: ${name}`);
      if (name === "kill") results.push(await killScenario(ctx, { listeners: n, fps: 4, seconds: args.quick ? 25 : 45, kills: 3 }));
      if (name === "outage") results.push(await outageScenario(ctx, { listeners: n, fps: 4, outageSeconds: args["outage-seconds"] }));
      if (name === "shutdown") results.push(await shutdownScenario(ctx, { listeners: n, fps: 4 }));
      if (name === "cluster") results.push(await clusterScenario(ctx, { listeners: n, fps: 4, seconds: args.quick ? 16 : 30 }));
      if (name === "hostile")
        results.push(
          await hostileScenario(ctx, {
            listeners: n,
            fps: 4,
            socketPayloads: args.quick ? 600 : 2000,
            restRequests: args.quick ? 100 : 300,
            minSeconds: args.quick ? 10 : 30,
          }),
        );
    }
    if (args["soak-minutes"] > 0) results.push(await soakScenario(ctx, { listeners: args["soak-listeners"], fps: 4, minutes: args["soak-minutes"] }));
  } finally {
    await pg.destroy();
  }
  for (const r of results)
    log(
      `${r.ok ? "ok  " : "FAIL"} ${r.name}: ${r.listeners} listeners, ${r.seconds} s, captured ${r.captured}, acked ${r.acked}, stored ${r.stored}, lost ${r.lost}, duplicates ${r.duplicates}, dropped ${r.dropped}${r.problems.length ? `\n     ${r.problems.join("\n     ")}` : ""}`,
    );
  if (args.json) process.stdout.write(`${JSON.stringify({ scenarios: results })}\n`);
  process.exit(results.every((r) => r.ok) ? 0 : 1);
}

main().catch((error: unknown) => {
  process.stderr.write(`chaos: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
