import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toProbabilities } from "@emotion/protocol";
import { createDb, type Db, type ReadingInput } from "./index";

const backends: Array<[string, { url?: string }]> = [["pglite (in-memory)", {}]];
if (process.env.TEST_DATABASE_URL) backends.push(["postgres", { url: process.env.TEST_DATABASE_URL }]);

const code = () => randomUUID().slice(0, 8).toUpperCase();

describe.each(backends)("db on %s", (_name, options) => {
  let db: Db;
  beforeAll(async () => {
    db = await createDb(options);
  });
  afterAll(async () => {
    await db?.close();
  });

  async function newSession(title = "Talk") {
    const s = await db.createSession({ code: code(), title, speakerTokenHash: "h" });
    if (!s) throw new Error("code clash");
    return s;
  }

  it("applies migrations once and answers a ping", async () => {
    expect(await db.ping()).toBe(true);
    if (!options.url) return; // a second in-memory PGlite is a new database; see the data-directory test
    const again = await createDb(options);
    expect(again.migrationsApplied).toEqual([]);
    await again.close();
  });

  it("creates, finds, starts and ends a session; a taken code gives null", async () => {
    const s = await newSession("Keynote");
    expect(s.status).toBe("scheduled");
    expect(await db.createSession({ code: s.code, title: "x", speakerTokenHash: "h" })).toBeNull();
    expect((await db.getSessionByCode(s.code))?.id).toBe(s.id);
    expect(await db.getSession("not-a-uuid")).toBeNull();
    expect(await db.getSession(randomUUID())).toBeNull();

    const live = await db.startSession(s.id);
    expect(live?.status).toBe("live");
    expect(live?.startedAt).toBeInstanceOf(Date);
    const again = await db.startSession(s.id, new Date(Date.now() + 60_000));
    expect(again?.startedAt?.getTime()).toBe(live?.startedAt?.getTime());

    const ended = await db.endSession(s.id);
    expect(ended?.status).toBe("ended");
    expect((await db.startSession(s.id))?.status).toBe("ended");
  });

  it("names participants Listener N, tracks leave and resume, lists markers in time order", async () => {
    const s = await newSession();
    const a = await db.joinParticipant({ sessionId: s.id, tokenHash: "t", consentAt: new Date() });
    const b = await db.joinParticipant({ sessionId: s.id, name: "  Ada ", tokenHash: "t" });
    const c = await db.joinParticipant({ sessionId: s.id, name: "", tokenHash: "t" });
    expect([a.name, b.name, c.name]).toEqual(["Listener 1", "Ada", "Listener 3"]);
    expect(a.consentAt).toBeInstanceOf(Date);
    expect((await db.leaveParticipant(a.id))?.leftAt).toBeInstanceOf(Date);
    expect((await db.resumeParticipant(a.id))?.leftAt).toBeNull();

    await db.addMarker({ sessionId: s.id, tMs: 5000, label: "slide 3" });
    await db.addMarker({ sessionId: s.id, tMs: 1000, label: "slide 2" });
    expect((await db.listMarkers(s.id)).map((m) => m.label)).toEqual(["slide 2", "slide 3"]);
  });

  it("stores readings with one insert, counts them per listener and skips duplicates", async () => {
    const s = await newSession();
    const p1 = await db.joinParticipant({ sessionId: s.id, tokenHash: "t" });
    const p2 = await db.joinParticipant({ sessionId: s.id, tokenHash: "t" });
    const t0 = Date.now();
    const happy = toProbabilities([0.01, 0, 0.02, 0.9, 0.03, 0.02, 0.02]);
    const sad = toProbabilities([0.05, 0, 0.05, 0.05, 0.7, 0.05, 0.1]);
    const rows: ReadingInput[] = [];
    for (let i = 0; i < 8; i++) {
      rows.push({
        sessionId: s.id,
        participantId: p1.id,
        capturedAt: t0 + i * 250,
        serverAt: t0 + i * 250 + 20,
        tMs: i * 250,
        quality: "ok",
        dominant: "happy",
        probabilities: happy,
      });
      rows.push(
        i % 2
          ? {
              sessionId: s.id,
              participantId: p2.id,
              capturedAt: t0 + i * 250,
              serverAt: t0 + i * 250,
              tMs: i * 250,
              quality: "no_face",
              dominant: null,
              probabilities: null,
            }
          : {
              sessionId: s.id,
              participantId: p2.id,
              capturedAt: t0 + i * 250,
              serverAt: t0 + i * 250,
              tMs: i * 250,
              quality: "ok",
              dominant: "sad",
              probabilities: sad,
            },
      );
    }
    expect(await db.insertReadings(rows)).toBe(16);
    expect(await db.insertReadings(rows.slice(0, 2))).toBe(0);
    expect(await db.insertReadings([])).toBe(0);
    expect(await db.countReadings(s.id)).toBe(16);

    const detail = await db.getSessionDetail(s.id);
    expect(detail?.participants.map((p) => p.readingsCount)).toEqual([8, 8]);

    const p2Line = await db.participantTimeline(s.id, p2.id);
    expect(p2Line).toHaveLength(8);
    expect(p2Line[0]).toMatchObject({ tMs: 0, quality: "ok", dominant: "sad", capturedAt: t0 });
    expect(p2Line[0]?.probabilities?.sad).toBeCloseTo(0.7, 3);
    expect(p2Line[1]).toMatchObject({ quality: "no_face", dominant: null, probabilities: null });

    const latest = await db.latestReadings(s.id);
    expect(latest.map((r) => r.tMs)).toEqual([1750, 1750]);

    const buckets = await db.roomTimeline(s.id, { bucketMs: 1000 });
    expect(buckets.map((b) => [b.tMs, b.readings, b.faces])).toEqual([
      [0, 8, 6],
      [1000, 8, 6],
    ]);
    expect(buckets[0]?.shares.happy).toBeCloseTo(4 / 6, 5);
    expect(buckets[0]?.shares.sad).toBeCloseTo(2 / 6, 5);
    expect(buckets[0]?.average?.happy).toBeCloseTo((4 * 0.9 + 2 * 0.05) / 6, 3);
    expect(await db.roomTimeline(s.id, { fromMs: 1000, toMs: 1500 })).toHaveLength(1);
  });

  it("inserts a few thousand rows in one call", async () => {
    const s = await newSession();
    const ps = await Promise.all(Array.from({ length: 5 }, () => db.joinParticipant({ sessionId: s.id, tokenHash: "t" })));
    const p = toProbabilities([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.4]);
    const rows: ReadingInput[] = [];
    for (let i = 0; i < 1000; i++)
      for (const part of ps)
        rows.push({
          sessionId: s.id,
          participantId: part.id,
          capturedAt: 1e12 + i,
          serverAt: 1e12 + i,
          tMs: i * 250,
          quality: "ok",
          dominant: "neutral",
          probabilities: p,
        });
    expect(await db.insertReadings(rows)).toBe(5000);
    expect((await db.roomTimeline(s.id)).length).toBe(250);
  });
});

describe("db on PGlite with a data directory", () => {
  it("keeps data across restarts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "emotion-db-"));
    try {
      const first = await createDb({ dataDir: dir });
      const s = await first.createSession({ code: "PERSIST1", title: "Kept", speakerTokenHash: "h" });
      await first.close();
      const second = await createDb({ dataDir: dir });
      expect(second.migrationsApplied).toEqual([]);
      expect((await second.getSession(s!.id))?.title).toBe("Kept");
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names the folder and the cause when PGlite cannot start in it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "emotion-db-"));
    try {
      mkdirSync(join(dir, "uploads")); // a folder that is neither empty nor a database
      await expect(createDb({ dataDir: dir })).rejects.toThrow(
        new RegExp(`cannot open the embedded database \\(PGlite\\) in ${dir}: .*move other files out of it`),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
