// Model registry figures (run: npx tsx src/models/monitoring.bench.ts [postgres://…]; without a URL, PGlite):
// - what the monitoring trigger adds to the writer's multi-row insert (the same batches with the trigger on and off);
// - GET /api/models over 30 days of per-minute rollup for 5 versions (216,000 rows), through the real app;
// - activeModelVersion(), which every instance polls every MODEL_POLL_MS.
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { createDb, createScratchDatabase, type ReadingInput } from "@emotion/db";
import { toProbabilities } from "@emotion/protocol";
import { buildApp } from "../app";

const BATCH = 1000;
const BATCHES = 30;
const TOKEN = "bench-admin-token-0123456789";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchModels(url: string | undefined) {
  const scratch = url ? await createScratchDatabase(url) : null;
  const db = await createDb({ url: scratch?.url });
  try {
    const session = (await db.createSession({ code: randomUUID().slice(0, 8), title: "bench", speakerTokenHash: "h" }))!;
    const listeners = await Promise.all(Array.from({ length: 50 }, () => db.joinParticipant({ sessionId: session.id, tokenHash: "t" })));
    const probabilities = toProbabilities([0.1, 0, 0, 0.7, 0.1, 0, 0.1]);
    let t = 0;
    const batch = (): ReadingInput[] =>
      Array.from({ length: BATCH }, (_, i) => {
        t += 5;
        const now = Date.now();
        const q = i % 10 === 0 ? ("no_face" as const) : ("ok" as const);
        return {
          sessionId: session.id,
          participantId: listeners[i % listeners.length]!.id,
          capturedAt: now,
          serverAt: now,
          tMs: t,
          seq: t,
          quality: q,
          dominant: q === "ok" ? "happy" : null,
          probabilities: q === "ok" ? probabilities : null,
          modelVersion: 1,
        };
      });
    const timeInserts = async () => {
      const ms: number[] = [];
      for (let i = 0; i < BATCHES; i++) {
        const rows = batch();
        const start = performance.now();
        await db.insertReadings(rows);
        ms.push(performance.now() - start);
      }
      return median(ms);
    };
    await timeInserts(); // warm-up
    const withTrigger = await timeInserts();
    await db.drizzle.execute(sql`ALTER TABLE readings DISABLE TRIGGER readings_model_minutes`);
    const withoutTrigger = await timeInserts();
    await db.drizzle.execute(sql`ALTER TABLE readings ENABLE TRIGGER readings_model_minutes`);

    await db.drizzle.execute(sql`
      INSERT INTO model_minutes (model_version, minute, readings, classified, confidence_permille)
      SELECT v, date_trunc('minute', now()) - m * interval '1 minute', 960, 900, 900 * 700
      FROM generate_series(10, 14) v, generate_series(1, 30 * 24 * 60) m`);
    const app = await buildApp({ db, vision: null, logger: false, ADMIN_TOKEN: TOKEN, DATA_DIR: `/tmp/emotion-bench-${process.pid}` });
    const to = Date.now();
    const query = `/api/models?from=${to - 30 * 24 * 3_600_000}&to=${to}&bucketMs=${2 * 3_600_000}`;
    const get = async () => {
      const start = performance.now();
      const r = await app.inject({ method: "GET", url: query, headers: { authorization: `Bearer ${TOKEN}` } });
      if (r.statusCode !== 200) throw new Error(r.body);
      return performance.now() - start;
    };
    await get();
    const calls: number[] = [];
    for (let i = 0; i < 5; i++) calls.push(await get());
    const monitoring = median(calls);
    const polls: number[] = [];
    for (let i = 0; i < 200; i++) {
      const start = performance.now();
      await db.activeModelVersion();
      polls.push(performance.now() - start);
    }
    await app.close();
    return {
      driver: db.driver,
      insertMsPer1000Rows: { withTrigger: +withTrigger.toFixed(2), withoutTrigger: +withoutTrigger.toFixed(2) },
      getModels30Days5VersionsMs: +monitoring.toFixed(1),
      activeModelVersionMs: +median(polls).toFixed(3),
    };
  } finally {
    await db.close();
    await scratch?.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchModels(process.argv[2])));
  process.exit(0);
}
