import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db, type ReadingInput } from "@emotion/db";
import { createReadingWriter, isRowError, QuarantinedRowError } from "./writer";

describe("readings group commit (PGlite)", () => {
  let db: Db;
  let sessionId: string;
  let participantId: string;
  beforeAll(async () => {
    db = await createDb();
    sessionId = (await db.createSession({ code: "WRITER1", title: "w", speakerTokenHash: "h" }))!.id;
    participantId = (await db.joinParticipant({ sessionId, tokenHash: "t" })).id;
  });
  afterAll(() => db?.close());

  let nextT = 0;
  const row = (patch: Partial<ReadingInput> = {}): ReadingInput => {
    const tMs = (nextT += 10);
    return {
      sessionId,
      participantId,
      capturedAt: 1.7e12 + tMs,
      serverAt: 1.7e12 + tMs,
      tMs,
      quality: "no_face",
      dominant: null,
      probabilities: null,
      ...patch,
    };
  };

  it("batches rows into few inserts and keeps every row through a database outage", async () => {
    const before = await db.countReadings(sessionId);
    const calls: number[] = [];
    let failuresLeft = 2;
    const outages: number[] = [];
    const writer = createReadingWriter({
      intervalMs: 20,
      maxRows: 100,
      insert: async (rows) => {
        calls.push(rows.length);
        if (failuresLeft-- > 0) throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
        return db.insertReadings(rows);
      },
      onError: (_err, pending) => outages.push(pending),
    });
    for (let i = 0; i < 250; i++) writer.push(row());
    expect(await writer.close()).toBe(0);
    expect(writer.pending).toBe(0);
    expect(await db.countReadings(sessionId)).toBe(before + 250);
    expect(outages).toHaveLength(2);
    expect(writer.stats).toMatchObject({ stored: 250, quarantined: 0, outages: 2 });
    expect(calls.length).toBeLessThanOrEqual(6);
  });

  it("resolves a row's promise only once it is committed", async () => {
    const writer = createReadingWriter({ intervalMs: 30, insert: (rows) => db.insertReadings(rows) });
    const r = row();
    const before = await db.countReadings(sessionId);
    const stored = writer.write(r);
    expect(await db.countReadings(sessionId)).toBe(before);
    await stored;
    const timeline = await db.participantTimeline(sessionId, participantId, { fromMs: r.tMs, toMs: r.tMs + 1 });
    expect(timeline).toHaveLength(1);
    await writer.close();
  });

  it("isolates a poisoned row: it alone is quarantined, every other row of its batch is stored", async () => {
    const before = await db.countReadings(sessionId);
    const quarantined: ReadingInput[] = [];
    let inserts = 0;
    const writer = createReadingWriter({
      intervalMs: 1000,
      insert: (rows) => {
        inserts++;
        return db.insertReadings(rows);
      },
      onQuarantine: (r) => quarantined.push(r),
    });
    const good = Array.from({ length: 40 }, () => row());
    // A capture stamp far outside Postgres's timestamp range: "timestamp out of range" for the whole statement.
    const poison = row({ capturedAt: 1e16 });
    const results = await Promise.allSettled([...good.slice(0, 20), poison, ...good.slice(20)].map((r) => writer.write(r)).concat(writer.flush()));
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(1);
    const failed = results[20] as PromiseRejectedResult;
    expect(failed.status).toBe("rejected");
    expect(failed.reason).toBeInstanceOf(QuarantinedRowError);
    expect(String(failed.reason.message)).toMatch(/out of range/);
    expect(quarantined).toEqual([poison]);
    expect(await db.countReadings(sessionId)).toBe(before + 40);
    expect(writer.stats).toMatchObject({ stored: 40, quarantined: 1, outages: 0 });
    // split in halves around the bad row, not one insert per row
    expect(inserts).toBeLessThan(16);
    await writer.close();
  });

  it("stores a re-sent crop once: same participant, seq and capture time", async () => {
    const writer = createReadingWriter({ intervalMs: 10, insert: (rows) => db.insertReadings(rows) });
    const before = await db.countReadings(sessionId);
    const first = row({ seq: 7 });
    await writer.write(first);
    await writer.write({ ...first, tMs: first.tMs + 3, serverAt: first.serverAt + 5000 });
    await writer.write(row({ seq: 7 })); // a reloaded page counting again: another capture time, kept
    expect(await db.countReadings(sessionId)).toBe(before + 2);
    const [p] = (await db.listParticipants(sessionId)).filter((x) => x.id === participantId);
    expect(p!.readingsCount).toBe(await db.countReadings(sessionId));
    await writer.close();
  });

  it("tells row errors from outages", () => {
    expect(isRowError(Object.assign(new Error("timestamp out of range"), { code: "22008" }))).toBe(true);
    expect(isRowError(Object.assign(new Error("duplicate"), { code: "23505" }))).toBe(true);
    expect(isRowError(new TypeError("reading ids must be UUIDs"))).toBe(true);
    expect(isRowError(Object.assign(new Error("terminating connection"), { code: "57P01" }))).toBe(false);
    expect(isRowError(Object.assign(new Error("refused"), { code: "ECONNREFUSED" }))).toBe(false);
    expect(isRowError(new Error("socket hang up"))).toBe(false);
    expect(isRowError(new Error("Failed query: …", { cause: Object.assign(new Error("timestamp out of range"), { code: "22008" }) }))).toBe(true);
  });

  it("gives up at the close deadline and answers what is left", async () => {
    const writer = createReadingWriter({ intervalMs: 10, insert: () => Promise.reject(Object.assign(new Error("down"), { code: "ECONNREFUSED" })) });
    for (let i = 0; i < 5; i++) writer.push(row());
    expect(await writer.close(300)).toBe(5);
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
        app.live.writer.push({
          sessionId: s.id,
          participantId: p.id,
          capturedAt: 1e12 + i,
          serverAt: 1e12 + i,
          tMs: i,
          quality: "no_face",
          dominant: null,
          probabilities: null,
        });
      await app.close();
      expect(await db.countReadings(s.id)).toBe(30);
    } finally {
      await db.close();
    }
  });
});
