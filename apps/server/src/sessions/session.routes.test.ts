import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@emotion/db";
import { CreatedSession, JoinInfo, SessionDetail, Timeline, toProbabilities } from "@emotion/protocol";
import { buildApp } from "../app";
import { dbBackends } from "../test/backends";

describe.each(dbBackends(process.env.TEST_DATABASE_URL))("sessions API on %s", (_name, dbOptions) => {
  let app: FastifyInstance;
  let db: Db;
  beforeAll(async () => {
    db = await createDb(dbOptions);
    app = await buildApp({ db, vision: null, logger: false, PUBLIC_URL: "https://talks.example" });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  async function create(title = "Quarterly review") {
    const res = await app.inject({ method: "POST", url: "/api/sessions", payload: { title } });
    expect(res.statusCode).toBe(201);
    return CreatedSession.parse(res.json());
  }
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it("creates a session with a join link and a private dashboard link", async () => {
    const s = await create();
    expect(s.code).toMatch(/^[A-Z2-9]{6}$/);
    expect(s.joinUrl).toBe(`https://talks.example/join/${s.code}`);
    expect(s.dashboardUrl).toBe(`https://talks.example/dashboard/${s.id}#token=${s.speakerToken}`);
  });

  it("validates the title", async () => {
    for (const payload of [{}, { title: "  " }, { title: "x".repeat(201) }]) {
      const res = await app.inject({ method: "POST", url: "/api/sessions", payload });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: "VALIDATION_FAILED", message: expect.stringContaining("title") });
    }
    const notJson = await app.inject({ method: "POST", url: "/api/sessions", headers: { "content-type": "application/json" }, payload: "{nope" });
    expect(notJson.statusCode).toBe(400);
  });

  it("shows the session only with its speaker token: 401 without, 403 wrong, 404 unknown", async () => {
    const s = await create();
    const other = await create();
    expect((await app.inject(`/api/sessions/${s.id}`)).statusCode).toBe(401);
    expect((await app.inject({ url: `/api/sessions/${s.id}`, headers: { authorization: "Basic abc" } })).statusCode).toBe(401);
    const wrong = await app.inject({ url: `/api/sessions/${s.id}`, headers: bearer(other.speakerToken) });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().error.code).toBe("FORBIDDEN");
    expect((await app.inject({ url: "/api/sessions/not-an-id", headers: bearer(s.speakerToken) })).statusCode).toBe(404);

    const res = await app.inject({ url: `/api/sessions/${s.id}`, headers: bearer(s.speakerToken) });
    expect(res.statusCode).toBe(200);
    expect(SessionDetail.parse(res.json())).toMatchObject({ id: s.id, title: "Quarterly review", status: "scheduled", listeners: [], markers: [] });
  });

  it("tells a listener what they join, by code in any case", async () => {
    const s = await create("Public talk");
    const res = await app.inject(`/api/join/${s.code.toLowerCase()}`);
    expect(res.statusCode).toBe(200);
    expect(JoinInfo.parse(res.json())).toEqual({ sessionId: s.id, title: "Public talk", status: "scheduled" });
    expect((await app.inject("/api/join/ZZZZZZ")).statusCode).toBe(404);
  });

  it("starts, marks, ends, and reports listeners with reading counts and the timeline", async () => {
    const s = await create();
    const auth = bearer(s.speakerToken);
    const started = await app.inject({ method: "POST", url: `/api/sessions/${s.id}/start`, headers: auth });
    expect(started.json()).toMatchObject({ status: "live", startedAt: expect.any(String) });
    const marker = await app.inject({ method: "POST", url: `/api/sessions/${s.id}/markers`, headers: auth, payload: { label: "slide 3" } });
    expect(marker.statusCode).toBe(201);
    expect(marker.json()).toMatchObject({ label: "slide 3", tMs: expect.any(Number) });
    expect((await app.inject({ method: "POST", url: `/api/sessions/${s.id}/markers`, headers: auth, payload: { label: "" } })).statusCode).toBe(400);

    const p = await db.joinParticipant({ sessionId: s.id, name: "Ada", tokenHash: "x" });
    const probs = toProbabilities([0, 0, 0, 1, 0, 0, 0]);
    await db.insertReadings(
      Array.from({ length: 6 }, (_, i) => ({
        sessionId: s.id,
        participantId: p.id,
        capturedAt: Date.now(),
        serverAt: Date.now(),
        tMs: i * 500,
        quality: "ok" as const,
        dominant: "happy" as const,
        probabilities: probs,
      })),
    );
    const detail = SessionDetail.parse((await app.inject({ url: `/api/sessions/${s.id}`, headers: auth })).json());
    expect(detail.listeners).toEqual([expect.objectContaining({ id: p.id, name: "Ada", readings: 6 })]);
    expect(detail.markers.map((m) => m.label)).toEqual(["slide 3"]);

    const timeline = Timeline.parse((await app.inject({ url: `/api/sessions/${s.id}/timeline?from=0&to=3000&bucketMs=1000`, headers: auth })).json());
    expect(timeline.buckets.map((b) => [b.tMs, b.faces, b.average?.happy])).toEqual([
      [0, 2, 1],
      [1000, 2, 1],
      [2000, 2, 1],
    ]);
    expect((await app.inject({ url: `/api/sessions/${s.id}/timeline?bucketMs=5`, headers: auth })).json().error.message).toMatch(/bucketMs/);
    const readings = await app.inject({ url: `/api/sessions/${s.id}/listeners/${p.id}/readings?from=1000`, headers: auth });
    expect(readings.json().readings).toHaveLength(4);

    const ended = await app.inject({ method: "POST", url: `/api/sessions/${s.id}/end`, headers: auth });
    expect(ended.json()).toMatchObject({ status: "ended", endedAt: expect.any(String) });
    expect((await app.inject({ method: "POST", url: `/api/sessions/${s.id}/end` })).statusCode).toBe(401);
  });
});
