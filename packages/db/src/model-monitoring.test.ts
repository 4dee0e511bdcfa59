import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "@emotion/protocol";
import type { Db } from "./index";
import { openTestDb } from "./scratch-database";

const backends: Array<[string, boolean]> = [["pglite", false]];
if (process.env.TEST_DATABASE_URL) backends.push(["postgres", true]);

const HOUR = 3_600_000;

describe.each(backends)("model monitoring on %s", (_name, isPostgres) => {
  let db: Db;
  let close = async () => {};
  beforeAll(async () => {
    ({ db, close } = await openTestDb(isPostgres ? process.env.TEST_DATABASE_URL! : null));
  }, 60_000);
  afterAll(() => close());

  /** Stores readings the way the writer does (one multi-row insert, duplicates skipped), each with its model version. */
  async function store(rows: Array<{ participantId: string; sessionId: string; at: number; seq: number; version: number; top: number | null }>) {
    const values = rows.map(
      (r) => sql`(${r.sessionId}::uuid, ${r.participantId}::uuid, ${new Date(r.at).toISOString()}::timestamptz, ${new Date(r.at).toISOString()}::timestamptz,
        ${r.seq}, ${r.top}, ${r.top === null ? null : 1000 - r.top}, 0, 0, 0, 0, 0, ${r.top === null ? null : 0}, ${r.top === null ? 4 : 0}, ${r.seq}, ${r.version})`,
    );
    await db.drizzle.execute(sql`
      INSERT INTO readings (session_id, participant_id, captured_at, server_at, t_ms, p_angry, p_disgust, p_fear, p_happy, p_sad, p_surprise, p_neutral,
                            dominant, quality, seq, model_version)
      VALUES ${sql.join(values, sql`, `)} ON CONFLICT DO NOTHING`);
  }

  it("counts readings, no-reading share, mean confidence, corrections and their confusion per version and bucket", async () => {
    const session = (await db.createSession({ code: randomUUID().slice(0, 8), title: "Talk", speakerTokenHash: "h" }))!;
    const p = await db.joinParticipant({ sessionId: session.id, tokenHash: "t" });
    const who = { sessionId: session.id, participantId: p.id };
    const t0 = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR; // two whole hours ago
    await store([
      { ...who, at: t0 + 1000, seq: 1, version: 1, top: 800 },
      { ...who, at: t0 + 2000, seq: 2, version: 1, top: 600 },
      { ...who, at: t0 + 3000, seq: 3, version: 1, top: null },
      { ...who, at: t0 + HOUR + 1000, seq: 4, version: 2, top: 900 },
    ]);
    // A re-sent crop is skipped by the insert, so it is not counted twice.
    await store([{ ...who, at: t0 + 1000, seq: 1, version: 1, top: 800 }]);
    await db.addCorrection({ ...who, seq: 1, label: "happy", crop: null });
    await db.addCorrection({ ...who, seq: 4, label: "sad", crop: null });

    const m = await db.modelMonitoring({ from: t0, to: t0 + 2 * HOUR, bucketMs: HOUR });
    const v1 = m.versions.find((v) => v.version === 1)!;
    const v2 = m.versions.find((v) => v.version === 2)!;
    expect(v1.buckets).toHaveLength(2);
    expect(v1.buckets[0]).toEqual({
      start: t0,
      readings: 3,
      noReadingShare: 1 / 3,
      meanConfidence: 0.7,
      corrections: expect.any(Number),
      correctionRate: expect.any(Number),
    });
    expect(v1.buckets[1]!.readings).toBe(0);
    expect(v2.totals).toMatchObject({ readings: 1, noReadingShare: 0, meanConfidence: 0.9 });
    // Corrections are counted when they are made (now), so they fall outside this window...
    expect(v1.totals.corrections + v2.totals.corrections).toBe(0);
    // ...and inside one that ends now.
    const recent = await db.modelMonitoring({ from: t0, to: Date.now() + 60_000, bucketMs: 60 * 60_000 });
    const recentV1 = recent.versions.find((v) => v.version === 1)!;
    expect(recentV1.totals).toMatchObject({ readings: 3, corrections: 1, correctionRate: 0.5 });
    expect(recentV1.confusion).toEqual([{ predicted: "angry", label: "happy", n: 1 }]);
    expect(recent.versions.find((v) => v.version === 2)!.confusion).toEqual([{ predicted: "angry", label: "sad", n: 1 }]);
  });

  it("refuses windows that are unbounded, reversed, or too finely bucketed", async () => {
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => "ok",
        (e: AppError) => e.code,
      );
    expect(await codeOf(db.modelMonitoring({ from: 0, to: 40 * 24 * HOUR }))).toBe("VALIDATION_FAILED");
    expect(await codeOf(db.modelMonitoring({ from: 2 * HOUR, to: HOUR }))).toBe("VALIDATION_FAILED");
    expect(await codeOf(db.modelMonitoring({ bucketMs: 1000 }))).toBe("VALIDATION_FAILED");
    expect(await codeOf(db.modelMonitoring({ from: 0, to: 10 * 24 * HOUR, bucketMs: 60_000 }))).toBe("VALIDATION_FAILED");
  });
});
