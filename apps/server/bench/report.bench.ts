// Report of a long, large session: 300 listeners x 1 hour x 4 readings/s = 4.32 million readings.
// Seeded with SQL (generate_series) straight into readings, then the rollup built from them exactly as
// the live writer maintains it; then GET /api/sessions/:id/report is timed through the real app.
import { sql } from "drizzle-orm";
import { createDb } from "@emotion/db";
import { CreatedSession } from "@emotion/protocol";
import { buildApp } from "../src/app";

const LISTENERS = 300;
const SECONDS = 3600;
const HZ = 4;

export async function benchReport(url: string | undefined) {
  const db = await createDb(url ? { url } : {});
  const app = await buildApp({ db, vision: null, logger: false, DATA_DIR: `/tmp/emotion-bench-${process.pid}` });
  const s = CreatedSession.parse((await app.inject({ method: "POST", url: "/api/sessions", payload: { title: "Benchmark: 1 h, 300 listeners" } })).json());
  const run = (q: ReturnType<typeof sql>) => db.drizzle.execute(q);
  const seedStart = performance.now();
  await run(sql`UPDATE sessions SET status = 'ended', started_at = now() - interval '1 hour', ended_at = now() WHERE id = ${s.id}`);
  await run(sql`INSERT INTO participants (session_id, name, token_hash) SELECT ${s.id}, 'Listener ' || g, '-' FROM generate_series(1, ${LISTENERS}::int) g`);
  // three kinds of listener trajectory; probabilities in permille summing to 1000
  await run(sql`
    INSERT INTO readings (session_id, participant_id, captured_at, server_at, t_ms, p_angry, p_disgust, p_fear, p_happy, p_sad, p_surprise, p_neutral, dominant, quality)
    SELECT ${s.id}, p.id, now(), now(), t * ${1000 / HZ}::int,
      CASE WHEN q THEN 20 END, CASE WHEN q THEN 10 END, CASE WHEN q THEN 20 END,
      CASE WHEN q THEN h END, CASE WHEN q THEN 30 END, CASE WHEN q THEN 20 END, CASE WHEN q THEN 900 - h END,
      CASE WHEN q THEN (CASE WHEN h > 450 THEN 3 ELSE 6 END) END,
      CASE WHEN q THEN 0 ELSE 4 END
    FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM participants WHERE session_id = ${s.id}) p,
      generate_series(0, ${SECONDS * HZ - 1}::int) t,
      LATERAL (SELECT (t + p.n) % 50 <> 0 AS q,
                      (CASE p.n % 3 WHEN 0 THEN 200 + (t / 40) % 500 WHEN 1 THEN 600 - (t / 60) % 400 ELSE 300 END)::int AS h) x`);
  await run(sql`
    INSERT INTO reading_buckets
    SELECT session_id, participant_id, t_ms / 5000, count(*), count(*) FILTER (WHERE quality <> 4), count(*) FILTER (WHERE quality = 0),
      coalesce(sum(p_angry), 0), coalesce(sum(p_disgust), 0), coalesce(sum(p_fear), 0), coalesce(sum(p_happy), 0),
      coalesce(sum(p_sad), 0), coalesce(sum(p_surprise), 0), coalesce(sum(p_neutral), 0),
      count(*) FILTER (WHERE dominant = 0), count(*) FILTER (WHERE dominant = 1), count(*) FILTER (WHERE dominant = 2),
      count(*) FILTER (WHERE dominant = 3), count(*) FILTER (WHERE dominant = 4), count(*) FILTER (WHERE dominant = 5),
      count(*) FILTER (WHERE dominant = 6)
    FROM readings WHERE session_id = ${s.id} GROUP BY 1, 2, 3`);
  await run(sql`UPDATE participants SET readings_count = ${SECONDS * HZ}::int WHERE session_id = ${s.id}`);
  await run(sql`ANALYZE readings`);
  await run(sql`ANALYZE reading_buckets`);
  const seedS = (performance.now() - seedStart) / 1000;
  const readings = await db.countReadings(s.id);
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const res = await app.inject({ url: `/api/sessions/${s.id}/report`, headers: { authorization: `Bearer ${s.speakerToken}` } });
    times.push(performance.now() - t0);
    if (res.statusCode !== 200) throw new Error(`report failed: ${res.body}`);
    bytes = res.rawPayload.length;
  }
  await run(sql`DELETE FROM sessions WHERE id = ${s.id}`);
  await run(sql`DELETE FROM readings WHERE session_id = ${s.id}`);
  await run(sql`DELETE FROM reading_buckets WHERE session_id = ${s.id}`);
  await app.close();
  await db.close();
  return {
    database: url ? "postgres" : "pglite",
    listeners: LISTENERS,
    readings,
    seedS: Math.round(seedS),
    reportMs: { first: Math.round(times[0]!), median: Math.round([...times].sort((a, b) => a - b)[1]!) },
    reportBytes: bytes,
  };
}
