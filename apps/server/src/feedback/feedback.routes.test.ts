import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@emotion/db";
import type { CreatedSession, ListenerJoined } from "@emotion/protocol";
import { dbBackends } from "../test/backends";
import { startLiveApp, type LiveApp } from "../test/live-app";

// Any 2,304 bytes are a valid crop for storing (these tests need no model); each one differs, since an
// image already stored is not stored twice.
let crops = 0;
const nextCrop = () => {
  const n = ++crops;
  return Uint8Array.from({ length: 48 * 48 }, (_, i) => (i * n + n) % 256);
};

describe.each(dbBackends(process.env.TEST_DATABASE_URL))("deleting corrections and shared crops on %s", (_name, dbOptions) => {
  let live: LiveApp;
  let app: FastifyInstance;
  let db: Db;

  beforeAll(async () => {
    db = await createDb(dbOptions);
    live = await startLiveApp({ db, vision: null });
    app = live.app;
  });
  afterAll(async () => {
    await live?.close();
    await db?.close();
  });

  const createSession = () => live.createSession("Contributions");
  /** A listener who joins and sends `withCrop` corrections with a crop and `without` without one. */
  async function contribute(s: CreatedSession, withCrop: number, without: number): Promise<ListenerJoined> {
    const c = await live.client();
    const send = (event: string, payload: unknown) => live.ok(c, event, payload);
    const me = (await send("listener:join", { v: 1, code: s.code })) as ListenerJoined;
    for (let i = 0; i < withCrop + without; i++) await send("listener:feedback", { v: 1, seq: i, label: "sad", ...(i < withCrop ? { crop: nextCrop() } : {}) });
    return me;
  }
  const withdraw = (participantId: string | null, token: string | null) =>
    app.inject({
      method: "DELETE",
      url: `/api/participants/me/contributions${participantId === null ? "" : `?participantId=${encodeURIComponent(participantId)}`}`,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });

  it("lets a listener withdraw its corrections and crops with its participant token, and nobody else's", async () => {
    const s = await createSession();
    const me = await contribute(s, 2, 1);
    const neighbour = await contribute(s, 1, 0);
    expect(await db.correctionSummary(s.id)).toMatchObject({ corrections: 4, withCrop: 3 });

    // refused without the token, with another's token, for an unknown participant, without the id
    expect((await withdraw(me.participantId, null)).json()).toMatchObject({ error: { code: "UNAUTHORIZED" } });
    const wrong = await withdraw(me.participantId, neighbour.participantToken);
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json()).toMatchObject({ error: { code: "FORBIDDEN" } });
    expect((await withdraw("00000000-0000-4000-8000-000000000000", me.participantToken)).statusCode).toBe(404);
    const noId = await withdraw(null, me.participantToken);
    expect(noId.statusCode).toBe(400);
    expect(noId.json()).toMatchObject({ error: { code: "VALIDATION_FAILED", message: expect.stringContaining("participantId") } });
    expect(await db.correctionSummary(s.id)).toMatchObject({ corrections: 4, withCrop: 3 });

    const done = await withdraw(me.participantId, me.participantToken);
    expect(done.statusCode).toBe(200);
    expect(done.json()).toEqual({ corrections: 3, samples: 2 });
    expect(await db.correctionSummary(s.id)).toMatchObject({ corrections: 1, withCrop: 1 });
    // a second withdrawal finds nothing left
    expect((await withdraw(me.participantId, me.participantToken)).json()).toEqual({ corrections: 0, samples: 0 });
  });

  it("lets the speaker delete the session's corrections and crops, and only that session's", async () => {
    const [s, other] = [await createSession(), await createSession()];
    await contribute(s, 1, 1);
    await contribute(s, 1, 0);
    await contribute(other, 1, 0);
    const remove = (id: string, token?: string) =>
      app.inject({ method: "DELETE", url: `/api/sessions/${id}/contributions`, headers: token ? { authorization: `Bearer ${token}` } : {} });

    expect((await remove(s.id)).statusCode).toBe(401);
    expect((await remove(s.id, other.speakerToken)).statusCode).toBe(403);
    expect((await db.correctionSummary(s.id)).corrections).toBe(3);
    const done = await remove(s.id, s.speakerToken);
    expect(done.statusCode).toBe(200);
    expect(done.json()).toEqual({ corrections: 3, samples: 2 });
    expect(await db.correctionSummary(s.id)).toMatchObject({ corrections: 0, withCrop: 0, confusion: [] });
    expect(await db.correctionSummary(other.id)).toMatchObject({ corrections: 1, withCrop: 1 });
  });

  it("puts the counts in the session's report, never a crop, and the speaker's deletion empties them", async () => {
    const s = await createSession();
    await contribute(s, 2, 1);
    const report = async () => {
      const res = await app.inject({ url: `/api/sessions/${s.id}/report`, headers: { authorization: `Bearer ${s.speakerToken}` } });
      expect(res.statusCode).toBe(200);
      return res;
    };
    const before = await report();
    // no reading was stored for these seqs, so the model's side is unknown
    expect(before.json().corrections).toEqual({ corrections: 3, withCrop: 2, agreed: 0, confusion: [{ predicted: null, label: "sad", n: 3 }] });
    // 2 crops of 2,304 bytes would make the JSON far longer than the report of a session without readings
    expect(before.body.length).toBeLessThan(4000);
    await app.inject({ method: "DELETE", url: `/api/sessions/${s.id}/contributions`, headers: { authorization: `Bearer ${s.speakerToken}` } });
    expect((await report()).json().corrections).toEqual({ corrections: 0, withCrop: 0, agreed: 0, confusion: [] });
  });

  it("limits deletions per address and minute with a coded error", async () => {
    const s = await createSession();
    let last = await withdraw(null, null);
    for (let i = 0; i < 40 && last.statusCode !== 429; i++) last = await withdraw("00000000-0000-4000-8000-000000000000", s.speakerToken);
    expect(last.statusCode).toBe(429);
    expect(last.json()).toMatchObject({ error: { code: "RATE_LIMITED", message: expect.stringContaining("per minute") } });
  });
});
