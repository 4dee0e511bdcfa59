import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError, toProbabilities } from "@emotion/protocol";
import type { Db } from "./index";
import { openTestDb } from "./scratch-database";

const backends: Array<[string, boolean]> = [["pglite", false]];
if (process.env.TEST_DATABASE_URL) backends.push(["postgres", true]);

/** A distinct 48×48 crop per seed (a gradient, so no two are equal). */
function crop(seed: number): Uint8Array {
  const c = new Uint8Array(2304);
  for (let i = 0; i < c.length; i++) c[i] = (i * (seed + 1) + seed * 7) & 255;
  return c;
}

async function collect(db: Db, filter = {}) {
  const out: Array<{ id: string; label: string; pixels: Uint8Array }> = [];
  for await (const batch of db.exportSamples({ ...filter, batchSize: 2 })) out.push(...batch);
  return out;
}

describe.each(backends)("corrections and training samples on %s", (_name, isPostgres) => {
  let db: Db;
  let close = async () => {};
  beforeAll(async () => {
    ({ db, close } = await openTestDb(isPostgres ? process.env.TEST_DATABASE_URL! : null));
  }, 60_000);
  afterAll(() => close());

  async function listener() {
    const session = (await db.createSession({ code: randomUUID().slice(0, 8), title: "Talk", speakerTokenHash: "h" }))!;
    await db.startSession(session.id);
    const p = await db.joinParticipant({ sessionId: session.id, tokenHash: "t" });
    return { sessionId: session.id, participantId: p.id };
  }

  it("stores a correction next to what the model read, and its crop as a sample with provenance", async () => {
    const who = await listener();
    const now = Date.now();
    const probabilities = toProbabilities([0.05, 0, 0, 0.8, 0.05, 0.05, 0.05]);
    await db.insertReadings([{ ...who, capturedAt: now, serverAt: now, tMs: 10, quality: "ok", dominant: "happy", probabilities, seq: 7 }]);
    await db.drizzle.execute(sql`UPDATE readings SET model_version = 1 WHERE participant_id = ${who.participantId}`);

    const c = await db.addCorrection({ ...who, seq: 7, label: "sad", crop: crop(1) });
    expect(c).toMatchObject({ predicted: "happy", modelVersion: 1 });
    expect(c.sampleId).toEqual(expect.any(String));
    const unknownSeq = await db.addCorrection({ ...who, seq: 99, label: "fear", crop: null });
    expect(unknownSeq).toMatchObject({ predicted: null, modelVersion: null, sampleId: null });
    await db.addCorrection({ ...who, seq: 7, label: "happy", crop: null });

    const [sample] = await db.listSamples({ sessionId: who.sessionId });
    expect(sample).toMatchObject({ id: c.sampleId, label: "sad", source: "feedback", participantId: who.participantId, correctionId: c.id, removedAt: null });
    expect(sample!.createdAt.getTime()).toBeGreaterThan(now - 60_000);
    expect(await db.correctionSummary(who.sessionId)).toEqual({
      corrections: 3,
      withCrop: 1,
      agreed: 1,
      confusion: expect.arrayContaining([
        { predicted: "happy", label: "sad", n: 1 },
        { predicted: null, label: "fear", n: 1 },
        { predicted: "happy", label: "happy", n: 1 },
      ]),
    });
  });

  it("takes the same correction sent again (a lost ack) as the first one, and attaches a crop sent only the second time", async () => {
    const who = await listener();
    const first = await db.addCorrection({ ...who, seq: 3, label: "surprise", crop: null });
    const again = await db.addCorrection({ ...who, seq: 3, label: "surprise", crop: crop(50) });
    expect(again.id).toBe(first.id);
    expect(again.sampleId).toEqual(expect.any(String));
    expect(await db.addCorrection({ ...who, seq: 3, label: "surprise", crop: crop(50) })).toEqual(again);
    const changed = await db.addCorrection({ ...who, seq: 3, label: "fear", crop: null });
    expect(changed.id).not.toBe(first.id);
    expect(await db.correctionSummary(who.sessionId)).toMatchObject({ corrections: 2, withCrop: 1 });
  });

  it("refuses a bad label, seq or crop, and a listener of another session", async () => {
    const who = await listener();
    const other = await listener();
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => "stored",
        (e: AppError) => e.code,
      );
    expect(await codeOf(db.addCorrection({ ...who, seq: 1, label: "bored" as never, crop: null }))).toBe("VALIDATION_FAILED");
    expect(await codeOf(db.addCorrection({ ...who, seq: -1, label: "sad", crop: null }))).toBe("VALIDATION_FAILED");
    expect(await codeOf(db.addCorrection({ ...who, seq: 1, label: "sad", crop: new Uint8Array(100) }))).toBe("VALIDATION_FAILED");
    expect(await codeOf(db.addCorrection({ sessionId: other.sessionId, participantId: who.participantId, seq: 1, label: "sad", crop: null }))).toBe(
      "NOT_FOUND",
    );
  });

  it("a withdrawn listener's corrections and samples are deleted and left out of the next export", async () => {
    const a = await listener();
    const b = { sessionId: a.sessionId, participantId: (await db.joinParticipant({ sessionId: a.sessionId, tokenHash: "t" })).id };
    const ids = [];
    for (const [who, seed] of [
      [a, 10],
      [a, 11],
      [b, 12],
    ] as const)
      ids.push((await db.addCorrection({ ...who, seq: seed, label: "angry", crop: crop(seed) })).sampleId);
    expect((await collect(db)).map((s) => s.id)).toEqual(expect.arrayContaining(ids));

    expect(await db.withdrawContributions(a.participantId)).toEqual({ corrections: 2, samples: 2 });
    const left = (await collect(db)).map((s) => s.id);
    expect(left).toContain(ids[2]);
    expect(left).not.toContain(ids[0]);
    expect(left).not.toContain(ids[1]);
    // Gone outright, tombstone included: nothing of the listener is left.
    const [{ n } = { n: -1 }] = await rowsOf<{ n: number }>(sql`SELECT count(*)::int AS n FROM training_samples WHERE participant_id = ${a.participantId}`);
    expect(n).toBe(0);
    expect(await db.withdrawContributions(a.participantId)).toEqual({ corrections: 0, samples: 0 });

    expect(await db.deleteSessionContributions(a.sessionId)).toEqual({ corrections: 1, samples: 1 });
    expect((await db.correctionSummary(a.sessionId)).corrections).toBe(0);
  });

  it("adds a named source, skips images stored or removed before, removes by id, session or source, exports only what is in use", async () => {
    const added = await db.addSamples("lab-2026", [
      { label: "happy", pixels: crop(20), origin: "happy/a.png" },
      { label: "sad", pixels: crop(21), origin: 'sad/"quoted",b.png' },
      { label: "sad", pixels: crop(21), origin: "sad/copy.png" },
      { label: "fear", pixels: crop(22), origin: "fear/c.png" },
    ]);
    expect(added).toEqual({ added: 3, skipped: ["sad/copy.png"] });
    const listed = await db.listSamples({ source: "lab-2026" });
    expect(listed.map((s) => [s.label, s.origin, s.sessionId])).toEqual(
      expect.arrayContaining([
        ["happy", "happy/a.png", null],
        ["sad", 'sad/"quoted",b.png', null],
        ["fear", "fear/c.png", null],
      ]),
    );
    const exported = await collect(db, { source: "lab-2026" });
    expect(exported).toHaveLength(3);
    expect(Buffer.from(exported.find((s) => s.label === "fear")!.pixels).equals(Buffer.from(crop(22)))).toBe(true);

    const fear = listed.find((s) => s.label === "fear")!;
    expect(await db.removeSamples({ id: fear.id })).toEqual({ removed: 1 });
    expect(await db.removeSamples({ id: fear.id })).toEqual({ removed: 0 });
    expect((await collect(db, { source: "lab-2026" })).map((s) => s.label).sort()).toEqual(["happy", "sad"]);
    // Removed is never used again: the same image added again is skipped.
    expect(await db.addSamples("lab-2026", [{ label: "fear", pixels: crop(22), origin: "again.png" }])).toEqual({ added: 0, skipped: ["again.png"] });
    expect(await db.countSamples({ source: "lab-2026" })).toEqual({ active: 2, removed: 1 });
    const [tomb] = await rowsOf<{ pixels: unknown }>(sql`SELECT pixels FROM training_samples WHERE id = ${fear.id}`);
    expect(tomb!.pixels).toBeNull();

    expect(await db.removeSamples({ source: "lab-2026" })).toEqual({ removed: 2 });
    expect(await collect(db, { source: "lab-2026" })).toEqual([]);

    const who = await listener();
    await db.addCorrection({ ...who, seq: 1, label: "happy", crop: crop(30) });
    expect(await db.removeSamples({ sessionId: who.sessionId })).toEqual({ removed: 1 });
    expect(await db.listSamples({ sessionId: who.sessionId })).toEqual([]);
    expect(await db.listSamples({ sessionId: who.sessionId, includeRemoved: true })).toHaveLength(1);
  });

  it("refuses a bad source name, the reserved feedback source and a wrong-sized image", async () => {
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => "stored",
        (e: AppError) => e.code,
      );
    expect(await codeOf(db.addSamples("has space", [{ label: "happy", pixels: crop(40) }]))).toBe("VALIDATION_FAILED");
    expect(await codeOf(db.addSamples("feedback", [{ label: "happy", pixels: crop(40) }]))).toBe("VALIDATION_FAILED");
    expect(await codeOf(db.addSamples("ok", [{ label: "happy", pixels: new Uint8Array(10) }]))).toBe("VALIDATION_FAILED");
    expect(await codeOf(db.listSamples({ limit: 0 }))).toBe("VALIDATION_FAILED");
  });

  async function rowsOf<T>(q: ReturnType<typeof sql>): Promise<T[]> {
    const r = (await db.drizzle.execute(q)) as unknown as T[] | { rows: T[] };
    return Array.isArray(r) ? r : r.rows;
  }
});
