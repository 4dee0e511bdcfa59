import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toProbabilities } from "@emotion/protocol";
import { BUCKET_MS, createDb, type Db, type ReadingInput } from "./index";

const backends: Array<[string, { url?: string }]> = [["pglite (in-memory)", {}]];
if (process.env.TEST_DATABASE_URL) backends.push(["postgres", { url: process.env.TEST_DATABASE_URL }]);

describe.each(backends)("rollups, exports and transactions on %s", (_name, options) => {
  let db: Db;
  beforeAll(async () => {
    db = await createDb(options);
  });
  afterAll(() => db?.close());

  async function seed() {
    const s = (await db.createSession({ code: randomUUID().slice(0, 8), title: "T", speakerTokenHash: "h" }))!;
    const p = await db.joinParticipant({ sessionId: s.id, tokenHash: "t" });
    const happy = toProbabilities([0, 0, 0, 0.6, 0, 0, 0.4]);
    const calm = toProbabilities([0, 0, 0, 0.2, 0, 0, 0.8]);
    const at = (tMs: number, probabilities: ReturnType<typeof toProbabilities> | null): ReadingInput => ({
      sessionId: s.id,
      participantId: p.id,
      capturedAt: 1e12 + tMs,
      serverAt: 1e12 + tMs + 5,
      tMs,
      quality: probabilities ? "ok" : "no_face",
      dominant: probabilities ? (probabilities.happy > 0.5 ? "happy" : "neutral") : null,
      probabilities,
    });
    // bucket 0: 2 happy + 1 no-face; bucket 1: 1 calm; bucket 3: 1 happy
    await db.insertReadings([at(0, happy), at(1000, happy), at(2000, null)]);
    await db.insertReadings([at(BUCKET_MS + 10, calm), at(3 * BUCKET_MS, happy), at(0, happy) /* duplicate: skipped */]);
    return { s, p };
  }

  it("keeps the bucket rollup in step with the stored readings (duplicates excluded)", async () => {
    const { s, p } = await seed();
    const rows = await db.reportBuckets(s.id);
    expect(rows.map((r) => [r.bucket, r.readings, r.faces, r.classified])).toEqual([
      [0, 3, 2, 2],
      [1, 1, 1, 1],
      [3, 1, 1, 1],
    ]);
    expect(rows[0]!.participantId).toBe(p.id);
    expect(rows[0]!.sums[3]).toBeCloseTo(1.2, 6); // 2 x 0.6 happy
    expect(rows[0]!.dominantCounts).toEqual([0, 0, 0, 2, 0, 0, 0]);
    expect(rows[1]!.dominantCounts).toEqual([0, 0, 0, 0, 0, 0, 1]);
    const merged = await db.reportBuckets(s.id, 2); // buckets of 10 s
    expect(merged.map((r) => [r.bucket, r.readings, r.classified])).toEqual([
      [0, 4, 3],
      [1, 1, 1],
    ]);
    expect(merged[0]!.sums[6]).toBeCloseTo(0.4 + 0.4 + 0.8, 6);
  });

  it("streams every reading in (participant, time) order across pages", async () => {
    const { s } = await seed();
    const pages: number[][] = [];
    for await (const page of db.streamReadings(s.id, 2)) pages.push(page.map((r) => r.tMs));
    expect(pages).toEqual([[0, 1000], [2000, BUCKET_MS + 10], [3 * BUCKET_MS]]);
  });

  it("stores all of a transaction or nothing", async () => {
    const s = (await db.createSession({ code: randomUUID().slice(0, 8), title: "U", speakerTokenHash: "h" }))!;
    await expect(
      db.transaction(async (tx) => {
        const p = await tx.joinParticipant({ sessionId: s.id, name: "Face 1", kind: "upload", tokenHash: "-" });
        await tx.insertReadings([
          { sessionId: s.id, participantId: p.id, capturedAt: 1, serverAt: 1, tMs: 0, quality: "no_face", dominant: null, probabilities: null },
        ]);
        throw new Error("cancelled");
      }),
    ).rejects.toThrow("cancelled");
    expect(await db.listParticipants(s.id)).toEqual([]);
    expect(await db.countReadings(s.id)).toBe(0);
    expect(await db.reportBuckets(s.id)).toEqual([]);
  });

  it("records uploads and their progress", async () => {
    const s = (await db.createSession({ code: randomUUID().slice(0, 8), title: "V", speakerTokenHash: "h" }))!;
    const u = await db.createUpload({ sessionId: s.id, fileName: "talk.mp4", bytes: 1234 });
    expect(u).toMatchObject({ status: "queued", progress: 0, faces: 0, error: null });
    const done = await db.updateUpload(u.id, { status: "done", progress: 1, faces: 2, durationS: 12.5 });
    expect(done).toMatchObject({ status: "done", progress: 1, faces: 2, durationS: 12.5 });
    expect((await db.listUploads(s.id)).map((x) => x.id)).toEqual([u.id]);
    expect(await db.getUpload("nope")).toBeNull();
  });
});
