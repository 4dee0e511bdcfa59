import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@emotion/db";
import { EMOTIONS } from "@emotion/protocol";
import type { ListenerJoined, LiveReading, ReadingAck, RoomMood } from "@emotion/protocol";
import type { Vision } from "@emotion/vision";
import { dbBackends } from "../test/backends";
import { goodFrame, sampleCrops, testVision } from "../test/fixtures";
import { startLiveApp, type Client, type LiveApp } from "../test/live-app";

describe.each(dbBackends(process.env.TEST_DATABASE_URL))("live sessions over Socket.IO on %s", (_name, dbOptions) => {
  let live: LiveApp;
  let app: FastifyInstance;
  let db: Db;
  let vision: Vision;
  let crops: Uint8Array[];

  beforeAll(async () => {
    vision = await testVision();
    crops = await sampleCrops(vision, 3);
    db = await createDb(dbOptions);
    live = await startLiveApp({ db, vision, BATCH_WAIT_MS: 5, READING_RATE_HZ: 20 });
    app = live.app;
  });
  afterAll(async () => {
    await live?.close();
    await db?.close();
  });

  const client = () => live.client();
  const call = <T>(c: Client, event: string, payload: unknown) => live.call<T>(c, event, payload);
  const ok = <T>(c: Client, event: string, payload: unknown) => live.ok<T>(c, event, payload);
  const createSession = (title?: string) => live.createSession(title);
  const nextMood = (c: Client, test: (m: RoomMood) => boolean) =>
    new Promise<RoomMood>((resolve) => {
      const on = (m: RoomMood) => test(m) && (c.off("session:mood", on), resolve(m));
      c.on("session:mood", on);
    });

  it("joins 3 listeners, classifies their crops in batches, pushes readings and mood, stores every reading", async () => {
    const s = await createSession();
    const speaker = await client();
    const initial = await ok<RoomMood>(speaker, "speaker:join", { v: 1, sessionId: s.id, speakerToken: s.speakerToken, readings: true });
    // a dashboard that did not ask for every reading gets only the room mood
    const dashboard = await client();
    await ok(dashboard, "speaker:join", { v: 1, sessionId: s.id, speakerToken: s.speakerToken });
    let dashboardReadings = 0;
    dashboard.on("session:readings", (list) => (dashboardReadings += list.length));
    expect(initial).toMatchObject({ sessionId: s.id, listenerCount: 0 });
    const pushed: LiveReading[] = [];
    speaker.on("session:readings", (list) => pushed.push(...list));
    const statuses: string[] = [];
    speaker.on("session:status", (st) => statuses.push(st.status));

    const listeners = await Promise.all([0, 1, 2].map(() => client()));
    const joined: ListenerJoined[] = [];
    for (const [i, l] of listeners.entries())
      joined.push(await ok<ListenerJoined>(l, "listener:join", { v: 1, code: s.code, name: i === 0 ? "Ada" : undefined }));
    expect(joined.map((j) => j.name)).toEqual(["Ada", "Listener 2", "Listener 3"]);
    expect(joined[0]).toMatchObject({ sessionId: s.id, status: "live", rateHz: 20 });

    const ROUNDS = 4;
    const acks: ReadingAck[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const sent = listeners.map((l, i) => ok<ReadingAck>(l, "listener:crop", { v: 1, kind: "face", seq: round, capturedAt: Date.now(), crop: crops[i] }));
      acks.push(...(await Promise.all(sent)));
    }
    expect(acks).toHaveLength(12);
    for (const a of acks) {
      expect(a.quality).toBe("ok");
      expect(a.dominant).not.toBeNull();
      expect(Object.values(a.probabilities!).reduce((x, y) => x + y, 0)).toBeCloseTo(1, 3);
    }
    // the same crop gives the same answer whichever batch it lands in
    expect(acks[0]!.probabilities).toEqual(acks[3]!.probabilities);
    expect(app.live.batcher.stats.largestBatch).toBeGreaterThan(1);

    const mood = await nextMood(speaker, (m) => m.presentCount === 3);
    expect(mood.listenerCount).toBe(3);
    expect(mood.tiles.map((t) => t.name).sort()).toEqual(["Ada", "Listener 2", "Listener 3"]);
    expect(mood.tiles.every((t) => t.presence === "face" && t.dominant !== null)).toBe(true);
    expect(Object.values(mood.shares).reduce((x, y) => x + y, 0)).toBeCloseTo(1, 5);
    expect(mood.average).not.toBeNull();
    await expect.poll(() => pushed.length).toBe(12);
    expect(dashboardReadings).toBe(0);
    expect(statuses).toContain("live");

    // a no-face beat and a browser-refused face are stored too
    expect(await ok<ReadingAck>(listeners[0]!, "listener:crop", { v: 1, kind: "no_face", seq: 10, capturedAt: Date.now() })).toMatchObject({
      quality: "no_face",
      dominant: null,
    });
    expect(
      await ok<ReadingAck>(listeners[1]!, "listener:crop", { v: 1, kind: "no_face", seq: 10, capturedAt: Date.now(), reason: "too_blurred" }),
    ).toMatchObject({ quality: "too_blurred" });
    // the JPEG fallback is detected on the server
    expect(
      await ok<ReadingAck>(listeners[2]!, "listener:crop", { v: 1, kind: "frame", seq: 10, capturedAt: Date.now(), jpeg: await goodFrame(vision) }),
    ).toMatchObject({ quality: "ok" });

    await app.live.writer.flush();
    const detail = await app.inject({ url: `/api/sessions/${s.id}`, headers: { authorization: `Bearer ${s.speakerToken}` } });
    const counts = Object.fromEntries(detail.json().listeners.map((l: { name: string; readings: number }) => [l.name, l.readings]));
    expect(counts).toEqual({ Ada: ROUNDS + 1, "Listener 2": ROUNDS + 1, "Listener 3": ROUNDS + 1 });
    const stored = await db.participantTimeline(s.id, joined[1]!.participantId);
    expect(stored.map((r) => r.quality)).toEqual(["ok", "ok", "ok", "ok", "too_blurred"]);
    expect(stored[0]!.probabilities!.happy).toBeCloseTo(acks[1]!.probabilities!.happy, 2);
  });

  it("acks a reading only once it is stored, stores a re-sent crop once, and one poisoned payload harms no one", async () => {
    const s = await createSession();
    const [a, b] = [await client(), await client()];
    const ja = await ok<ListenerJoined>(a, "listener:join", { v: 1, code: s.code, name: "A" });
    const jb = await ok<ListenerJoined>(b, "listener:join", { v: 1, code: s.code, name: "B" });
    const t0 = Date.now();
    // each ack is a promise that the reading is in the database: counted right after it, with no flush
    for (let seq = 0; seq < 3; seq++) {
      await ok(a, "listener:crop", { v: 1, kind: "face", seq, capturedAt: t0 + seq, crop: crops[0] });
      expect((await db.participantTimeline(s.id, ja.participantId)).length).toBe(seq + 1);
    }
    // the same crop again (its ack was lost in a reconnect): the same answer, stored once
    const again = await ok<ReadingAck>(a, "listener:crop", { v: 1, kind: "face", seq: 2, capturedAt: t0 + 2, sentAt: Date.now(), crop: crops[0] });
    expect(again.seq).toBe(2);
    const other = await client();
    await ok(other, "listener:join", { v: 1, code: s.code, participantId: ja.participantId, participantToken: ja.participantToken });
    await ok(other, "listener:crop", { v: 1, kind: "face", seq: 1, capturedAt: t0 + 1, crop: crops[0] });
    expect((await db.participantTimeline(s.id, ja.participantId)).length).toBe(3);
    expect((await db.getParticipant(ja.participantId))?.readingsCount).toBe(3);

    // a stamp far outside Postgres's range is refused at the edge with a coded error naming the field...
    const poison = await call(b, "listener:crop", { v: 1, kind: "no_face", seq: 1, capturedAt: 1e16 });
    expect(poison).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED", message: expect.stringContaining("capturedAt") } });
    expect(await call(b, "listener:crop", { v: 1, kind: "no_face", seq: 2 ** 40, capturedAt: Date.now() })).toMatchObject({
      ok: false,
      error: { code: "VALIDATION_FAILED", message: expect.stringContaining("seq") },
    });
    // ...and a poisoned row that got past it (written straight to the writer) is quarantined alone
    const quarantinedBefore = app.live.writer.stats.quarantined;
    const bad = app.live.writer.write({
      sessionId: s.id,
      participantId: jb.participantId,
      capturedAt: 1e16,
      serverAt: Date.now(),
      tMs: 99,
      quality: "no_face",
      dominant: null,
      probabilities: null,
    });
    const goods = [0, 1, 2].map((seq) => ok(b, "listener:crop", { v: 1, kind: "no_face", seq, capturedAt: Date.now() + seq }));
    await expect(bad).rejects.toThrow(/out of range/);
    await Promise.all(goods);
    expect(app.live.writer.stats.quarantined).toBe(quarantinedBefore + 1);
    expect((await db.participantTimeline(s.id, jb.participantId)).length).toBe(3);
    const health = await app.inject({ url: "/health" });
    expect(health.json().readings).toMatchObject({ quarantined: quarantinedBefore + 1 });
  });

  it("shows the filtered reading on the tile and in the ack, and stores the raw one", async () => {
    const pool = await sampleCrops(vision, 6);
    const raw = await vision.classify(pool);
    const a = raw.findIndex((r) => r.dominant !== raw[0]!.dominant);
    expect(a).toBeGreaterThan(0);
    const [first, second] = [pool[0]!, pool[a]!];
    const s = await createSession();
    const speaker = await client();
    await ok(speaker, "speaker:join", { v: 1, sessionId: s.id, speakerToken: s.speakerToken });
    const l = await client();
    const me = await ok<ListenerJoined>(l, "listener:join", { v: 1, code: s.code });
    const t0 = Date.now();
    const acks: ReadingAck[] = [];
    // a camera that flickers between two faces: the single readings flip every crop
    for (let seq = 0; seq < 16; seq++)
      acks.push(await ok<ReadingAck>(l, "listener:crop", { v: 1, kind: "face", seq, capturedAt: t0 + seq * 250, crop: seq % 2 ? second : first }));
    const flips = (labels: Array<string | undefined>) => labels.slice(1).filter((x, i) => x !== labels[i]).length;
    expect(flips(acks.map((x) => x.dominant!))).toBe(15);
    expect(acks.every((x) => x.smoothed && Math.abs(Object.values(x.smoothed.probabilities).reduce((p, q) => p + q, 0) - 1) < 1e-3)).toBe(true);
    expect(flips(acks.map((x) => x.smoothed?.dominant))).toBeLessThan(8);
    const mood = await nextMood(speaker, (m) => m.tiles.some((t) => t.id === me.participantId && t.presence === "face"));
    const tile = mood.tiles.find((t) => t.id === me.participantId)!;
    expect(tile.dominant).toBe(acks.at(-1)!.smoothed!.dominant);
    expect(tile.confidence).toBeCloseTo(acks.at(-1)!.smoothed!.confidence, 6);
    // what is stored is each crop's own reading...
    const stored = await db.participantTimeline(s.id, me.participantId);
    expect(stored.map((r) => r.dominant)).toEqual(acks.map((x) => x.dominant));
    // ...and the report's rollup tells what was shown: the filtered readings
    const buckets = (await db.reportBuckets(s.id)).filter((b) => b.participantId === me.participantId);
    const total = (f: (b: (typeof buckets)[number]) => number[]) => EMOTIONS.map((_, k) => buckets.reduce((n, b) => n + f(b)[k]!, 0));
    const shownSums = EMOTIONS.map((e) => acks.reduce((n, x) => n + x.smoothed!.probabilities[e], 0));
    total((b) => b.sums).forEach((v, k) => expect(v).toBeCloseTo(shownSums[k]!, 1));
    expect(total((b) => b.dominantCounts)).toEqual(EMOTIONS.map((e) => acks.filter((x) => x.smoothed!.dominant === e).length));
  });

  it("acks bad payloads and out-of-order calls with codes", async () => {
    const s = await createSession();
    const c = await client();
    const before = await call(c, "listener:crop", { v: 1, kind: "no_face", seq: 1, capturedAt: Date.now() });
    expect(before).toMatchObject({ ok: false, error: { code: "UNAUTHORIZED" } });
    expect(await call(c, "listener:join", { v: 1, code: "NOPE99" })).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
    expect(await call(c, "listener:join", { v: 2, code: s.code })).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED" } });
    await ok(c, "listener:join", { v: 1, code: s.code });
    const short = await call(c, "listener:crop", { v: 1, kind: "face", seq: 1, capturedAt: Date.now(), crop: new Uint8Array(100) });
    expect(short).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED", message: expect.stringContaining("2304 bytes") } });
    expect(await call(c, "listener:crop", "garbage")).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED" } });
    expect(await call(c, "speaker:join", { v: 1, sessionId: s.id, speakerToken: "wrong" })).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
    expect(await call(c, "speaker:marker", { v: 1, label: "x" })).toMatchObject({ ok: false, error: { code: "UNAUTHORIZED" } });
  });

  it("resumes the same participant after a reconnect, and refuses readings once the session ends", async () => {
    const s = await createSession();
    const speaker = await client();
    await ok(speaker, "speaker:join", { v: 1, sessionId: s.id, speakerToken: s.speakerToken });
    const first = await client();
    const me = await ok<ListenerJoined>(first, "listener:join", { v: 1, code: s.code, name: "Grace" });
    first.disconnect();
    await expect.poll(async () => (await db.getParticipant(me.participantId))?.leftAt).not.toBeNull();

    const again = await client();
    const resumed = await ok<ListenerJoined>(again, "listener:join", {
      v: 1,
      code: s.code,
      participantId: me.participantId,
      participantToken: me.participantToken,
    });
    expect(resumed).toMatchObject({ participantId: me.participantId, participantToken: me.participantToken, name: "Grace" });
    expect((await db.getParticipant(me.participantId))?.leftAt).toBeNull();
    const stolen = await call(await client(), "listener:join", { v: 1, code: s.code, participantId: me.participantId, participantToken: "guess" });
    expect(stolen).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
    const mood = await nextMood(speaker, () => true);
    expect(mood.tiles.filter((t) => t.presence !== "left").map((t) => t.id)).toEqual([me.participantId]);

    const marker = await ok<{ label: string }>(speaker, "speaker:marker", { v: 1, label: "Q&A" });
    expect(marker.label).toBe("Q&A");
    const ended = new Promise((resolve) => again.once("session:status", resolve));
    await ok(speaker, "speaker:end", { v: 1 });
    expect(await ended).toEqual({ status: "ended" });
    expect(await call(again, "listener:crop", { v: 1, kind: "no_face", seq: 1, capturedAt: Date.now() })).toMatchObject({
      ok: false,
      error: { code: "SESSION_ENDED" },
    });
    expect(await call(await client(), "listener:join", { v: 1, code: s.code })).toMatchObject({ ok: false, error: { code: "SESSION_ENDED" } });
  });
});
