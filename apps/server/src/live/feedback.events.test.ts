import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@emotion/db";
import { EMOTIONS, MAX_FEEDBACK_PER_MINUTE } from "@emotion/protocol";
import type { CreatedSession, FeedbackAck, ListenerJoined, ReadingAck } from "@emotion/protocol";
import type { Vision } from "@emotion/vision";
import { dbBackends } from "../test/backends";
import { sampleCrops, testVision } from "../test/fixtures";
import { startLiveApp, type Client, type LiveApp } from "../test/live-app";
import { FeedbackLimiter } from "./feedback.events";

describe("FeedbackLimiter", () => {
  it("allows maxPerMinute corrections per participant and minute, each participant on its own budget", () => {
    const limiter = new FeedbackLimiter(3);
    const t0 = 1_000_000;
    expect([1, 2, 3, 4].map((i) => limiter.take("a", t0 + i))).toEqual([true, true, true, false]);
    expect(limiter.take("b", t0 + 5)).toBe(true);
    expect(limiter.take("a", t0 + 59_999)).toBe(false);
    expect(limiter.take("a", t0 + 60_001)).toBe(true);
  });
});

describe.each(dbBackends(process.env.TEST_DATABASE_URL))("listener:feedback over Socket.IO on %s", (_name, dbOptions) => {
  let live: LiveApp;
  let db: Db;
  let vision: Vision;
  let crops: Uint8Array[];

  beforeAll(async () => {
    vision = await testVision();
    crops = await sampleCrops(vision, 2);
    db = await createDb(dbOptions);
    live = await startLiveApp({ db, vision, BATCH_WAIT_MS: 5, READING_RATE_HZ: 20 });
  });
  afterAll(async () => {
    await live?.close();
    await db?.close();
  });

  const client = () => live.client();
  const call = <T>(c: Client, event: string, payload: unknown) => live.call<T>(c, event, payload);
  const ok = <T>(c: Client, event: string, payload: unknown) => live.ok<T>(c, event, payload);
  const createSession = () => live.createSession("Feedback test");
  async function listener(s: CreatedSession): Promise<{ c: Client; me: ListenerJoined }> {
    const c = await client();
    return { c, me: await ok<ListenerJoined>(c, "listener:join", { v: 1, code: s.code }) };
  }
  const sendCrop = (c: Client, seq: number, crop: Uint8Array) => ok<ReadingAck>(c, "listener:crop", { v: 1, kind: "face", seq, capturedAt: Date.now(), crop });

  it("stores a correction with the crop (consent) and one without, each next to what the model had read", async () => {
    const s = await createSession();
    const { c } = await listener(s);
    const first = await sendCrop(c, 1, crops[0]!);
    const second = await sendCrop(c, 2, crops[1]!);
    const other = EMOTIONS.find((e) => e !== first.dominant)!;
    const withCrop = await ok<FeedbackAck>(c, "listener:feedback", { v: 1, seq: 1, label: other, crop: crops[0] });
    expect(withCrop).toEqual({ id: expect.any(String), predicted: first.dominant });
    const without = await ok<FeedbackAck>(c, "listener:feedback", { v: 1, seq: 2, label: second.dominant });
    expect(without.predicted).toBe(second.dominant);
    expect(without.id).not.toBe(withCrop.id);
    // a seq with no stored reading (never sent) is kept too, with no prediction to compare
    expect(await ok<FeedbackAck>(c, "listener:feedback", { v: 1, seq: 999, label: "fear" })).toMatchObject({ predicted: null });

    const summary = await db.correctionSummary(s.id);
    expect(summary).toMatchObject({ corrections: 3, withCrop: 1, agreed: 1 });
    expect(summary.confusion).toEqual(
      expect.arrayContaining([
        { predicted: first.dominant, label: other, n: 1 },
        { predicted: second.dominant, label: second.dominant, n: 1 },
        { predicted: null, label: "fear", n: 1 },
      ]),
    );
  });

  it("refuses a bad label, a crop of the wrong size and a listener who has not joined with codes, and the crop stream goes on", async () => {
    const stranger = await client();
    expect(await call(stranger, "listener:feedback", { v: 1, seq: 1, label: "happy" })).toMatchObject({ ok: false, error: { code: "UNAUTHORIZED" } });

    const s = await createSession();
    const { c } = await listener(s);
    await sendCrop(c, 1, crops[0]!);
    const badLabel = await call(c, "listener:feedback", { v: 1, seq: 1, label: "contempt" });
    expect(badLabel).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED", message: expect.stringContaining("label") } });
    const shortCrop = await call(c, "listener:feedback", { v: 1, seq: 1, label: "sad", crop: new Uint8Array(2303) });
    expect(shortCrop).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED", message: expect.stringContaining("2304 bytes") } });
    const badSeq = await call(c, "listener:feedback", { v: 1, seq: -1, label: "sad" });
    expect(badSeq).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED", message: expect.stringContaining("seq") } });
    expect(await call(c, "listener:feedback", "garbage")).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED" } });

    // nothing was stored, and the same socket's crops are still classified and stored
    expect((await db.correctionSummary(s.id)).corrections).toBe(0);
    expect(await sendCrop(c, 2, crops[1]!)).toMatchObject({ seq: 2, quality: "ok" });
    expect((await db.participantTimeline(s.id, (await db.listParticipants(s.id))[0]!.id)).length).toBe(2);
  });

  it(`allows ${MAX_FEEDBACK_PER_MINUTE} corrections a minute per listener, also across a reconnect, and crops meanwhile`, async () => {
    const s = await createSession();
    const { c, me } = await listener(s);
    for (let seq = 0; seq < MAX_FEEDBACK_PER_MINUTE; seq++) await ok(c, "listener:feedback", { v: 1, seq, label: "neutral" });
    const over = await call(c, "listener:feedback", { v: 1, seq: 100, label: "neutral" });
    expect(over).toMatchObject({
      ok: false,
      error: { code: "RATE_LIMITED", message: expect.stringContaining(`${MAX_FEEDBACK_PER_MINUTE} corrections per minute`) },
    });
    // resuming on a new socket does not refill the budget
    const again = await client();
    await ok(again, "listener:join", { v: 1, code: s.code, participantId: me.participantId, participantToken: me.participantToken });
    expect(await call(again, "listener:feedback", { v: 1, seq: 101, label: "neutral" })).toMatchObject({ ok: false, error: { code: "RATE_LIMITED" } });
    expect(await sendCrop(again, 1, crops[0]!)).toMatchObject({ quality: "ok" });
    // another listener has its own budget
    const { c: other } = await listener(s);
    expect(await call(other, "listener:feedback", { v: 1, seq: 1, label: "happy" })).toMatchObject({ ok: true });
    expect((await db.correctionSummary(s.id)).corrections).toBe(MAX_FEEDBACK_PER_MINUTE + 1);
  });

  it("sends nothing of a correction to the speaker's sockets", async () => {
    const s = await createSession();
    const speaker = await client();
    await ok(speaker, "speaker:join", { v: 1, sessionId: s.id, speakerToken: s.speakerToken, readings: true });
    const { c } = await listener(s);
    await sendCrop(c, 1, crops[0]!);
    const heard: Array<{ event: string; args: unknown[] }> = [];
    speaker.onAny((event: string, ...args: unknown[]) => heard.push({ event, args }));
    for (let i = 0; i < 3; i++) await ok(c, "listener:feedback", { v: 1, seq: 1, label: "surprise", crop: crops[0] });
    // a mood tick (1/s) passes meanwhile, so anything the corrections caused has arrived too
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(heard.map((h) => h.event).every((e) => e === "session:mood")).toBe(true);
    const isBinary = (v: unknown): boolean =>
      v instanceof ArrayBuffer || ArrayBuffer.isView(v) || (typeof v === "object" && v !== null && Object.values(v).some(isBinary));
    expect(heard.some((h) => h.args.some(isBinary))).toBe(false);
  });
});
