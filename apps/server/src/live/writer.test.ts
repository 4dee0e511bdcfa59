import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db, type ReadingInput } from "@emotion/db";
import { createReadingWriter } from "./writer";

describe("readings write-behind buffer (PGlite)", () => {
  let db: Db;
  let sessionId: string;
  let participantId: string;
  beforeAll(async () => {
    db = await createDb();
    sessionId = (await db.createSession({ code: "WRITER1", title: "w", speakerTokenHash: "h" }))!.id;
    participantId = (await db.joinParticipant({ sessionId, tokenHash: "t" })).id;
  });
  afterAll(() => db?.close());

  const row = (tMs: number): ReadingInput => ({ sessionId, participantId, capturedAt: 1e12 + tMs, serverAt: 1e12 + tMs, tMs, quality: "no_face", dominant: null, probabilities: null });

  it("batches rows into few inserts and keeps failed rows until the database answers again", async () => {
    const calls: number[] = [];
    let failuresLeft = 2;
    const writer = createReadingWriter({
      intervalMs: 20,
      maxRows: 100,
      insert: async (rows) => {
        calls.push(rows.length);
        if (failuresLeft-- > 0) throw new Error("database away");
        return db.insertReadings(rows);
      },
    });
    for (let i = 0; i < 250; i++) writer.push(row(i * 10));
    await writer.close();
    expect(writer.pending).toBe(0);
    expect(await db.countReadings(sessionId)).toBe(250);
    expect(calls.length).toBeLessThanOrEqual(6);
    expect(calls.filter((n) => n === 250).length).toBeGreaterThan(0);
  });
});

describe("server shutdown", () => {
  it("stores readings still buffered when the app closes", async () => {
    const { buildApp } = await import("../app");
    const db = await createDb();
    try {
      const app = await buildApp({ db, vision: null, logger: false });
      const s = (await db.createSession({ code: "CLOSE01", title: "c", speakerTokenHash: "h" }))!;
      const p = await db.joinParticipant({ sessionId: s.id, tokenHash: "t" });
      for (let i = 0; i < 30; i++)
        app.live.writer.push({ sessionId: s.id, participantId: p.id, capturedAt: 1e12 + i, serverAt: 1e12 + i, tMs: i, quality: "no_face", dominant: null, probabilities: null });
      await app.close();
      expect(await db.countReadings(s.id)).toBe(30);
    } finally {
      await db.close();
    }
  });
});
