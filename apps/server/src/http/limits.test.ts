import type { FastifyInstance } from "fastify";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@emotion/db";
import { CreatedSession, ErrorBody } from "@emotion/protocol";
import Fastify from "fastify";
import { buildApp, type BuildAppOptions } from "../app";
import { installRateLimits } from "./rate-limits";
import { readSample, testVision } from "../test/fixtures";

describe("REST limits", () => {
  let db: Db;
  let app: FastifyInstance | undefined;
  beforeAll(async () => {
    db = await createDb();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  afterAll(() => db?.close());

  // one database, a fresh app (and so fresh counters) per test
  async function start(options: BuildAppOptions) {
    app = await buildApp({ db, vision: null, logger: false, ...options });
    return app;
  }
  const createSession = (a: FastifyInstance, remoteAddress = "127.0.0.1") =>
    a.inject({ method: "POST", url: "/api/sessions", payload: { title: "Limits" }, remoteAddress });

  function expectRateLimited(res: Awaited<ReturnType<FastifyInstance["inject"]>>, variable: string) {
    expect(res.statusCode).toBe(429);
    const { error } = ErrorBody.parse(res.json());
    expect(error.code).toBe("RATE_LIMITED");
    expect(error.message).toContain(variable);
    expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
    expect(Number(res.headers["retry-after"])).toBeLessThanOrEqual(60);
  }

  it("limits session creation per IP and names the limit", async () => {
    const a = await start({ MAX_SESSIONS_PER_MINUTE: 3 });
    for (let i = 0; i < 3; i++) expect((await createSession(a)).statusCode).toBe(201);
    const refused = await createSession(a);
    expectRateLimited(refused, "MAX_SESSIONS_PER_MINUTE");
    expect(refused.json().error.message).toMatch(/3 per minute/);
    // another address has its own budget
    expect((await createSession(a, "10.1.2.3")).statusCode).toBe(201);
  });

  it("does not believe X-Forwarded-For unless TRUST_PROXY says so", async () => {
    const a = await start({ MAX_SESSIONS_PER_MINUTE: 1 });
    expect((await createSession(a)).statusCode).toBe(201);
    const spoofed = await a.inject({ method: "POST", url: "/api/sessions", payload: { title: "x" }, headers: { "x-forwarded-for": "203.0.113.9" } });
    expectRateLimited(spoofed, "MAX_SESSIONS_PER_MINUTE");
  });

  it("takes the client from X-Forwarded-For behind a trusted proxy", async () => {
    const a = await start({ MAX_SESSIONS_PER_MINUTE: 1, TRUST_PROXY: 1 });
    const via = (client: string) => a.inject({ method: "POST", url: "/api/sessions", payload: { title: "x" }, headers: { "x-forwarded-for": client } });
    expect((await via("203.0.113.9")).statusCode).toBe(201);
    expect((await via("203.0.113.10")).statusCode).toBe(201);
    expectRateLimited(await via("203.0.113.9"), "MAX_SESSIONS_PER_MINUTE");
  });

  it("limits image predictions per IP", async () => {
    const a = await start({ MAX_PREDICTS_PER_MINUTE: 2 });
    const predict = () => a.inject({ method: "POST", url: "/api/v1/predict", headers: { "content-type": "image/jpeg" }, payload: Buffer.from([0xff, 0xd8]) });
    // no model in this app: 503 NOT_READY, but each request still counts
    for (let i = 0; i < 2; i++) expect((await predict()).statusCode).toBe(503);
    expectRateLimited(await predict(), "MAX_PREDICTS_PER_MINUTE");
  });

  it("limits uploads per IP", async () => {
    const a = await start({ MAX_UPLOADS_PER_MINUTE: 2 });
    const s = CreatedSession.parse((await createSession(a)).json());
    const upload = () =>
      a.inject({
        method: "POST",
        url: `/api/sessions/${s.id}/uploads`,
        headers: { authorization: `Bearer ${s.speakerToken}`, "content-type": "application/json" },
        payload: {},
      });
    for (let i = 0; i < 2; i++) expect((await upload()).statusCode).toBeLessThan(429);
    expectRateLimited(await upload(), "MAX_UPLOADS_PER_MINUTE");
  });

  it("throttles lookups of unknown join codes per IP, never a venue typing the right one", async () => {
    const a = await start({ MAX_FAILED_JOINS_PER_MINUTE: 3 });
    const s = CreatedSession.parse((await createSession(a)).json());
    const lookup = (code: string, remoteAddress = "198.51.100.7") => a.inject({ url: `/api/join/${code}`, remoteAddress });
    // 200 right answers from one address (a venue behind one NAT) do not count
    for (let i = 0; i < 200; i++) expect((await lookup(s.code)).statusCode).toBe(200);
    for (const code of ["AAAAAA", "BBBBBB", "CCCCCC"]) expect((await lookup(code)).statusCode).toBe(404);
    const refused = await lookup("DDDDDD");
    expectRateLimited(refused, "MAX_FAILED_JOINS_PER_MINUTE");
    // once refused, a guesser learns nothing, not even from a right code
    expectRateLimited(await lookup(s.code), "MAX_FAILED_JOINS_PER_MINUTE");
    expect((await lookup(s.code, "198.51.100.8")).statusCode).toBe(200);
  });

  it("keeps the defaults generous: 100 requests of a normal client pass", async () => {
    const a = await start({});
    const s = CreatedSession.parse((await createSession(a)).json());
    for (let i = 0; i < 100; i++) expect((await a.inject(`/api/join/${s.code}`)).statusCode).toBe(200);
    for (let i = 0; i < 30; i++) expect((await createSession(a)).statusCode).toBe(201);
  });
});

describe("the limit table", () => {
  it("fails start-up when a limited route does not exist (a renamed route cannot lose its limit)", async () => {
    const bare = Fastify({ logger: false });
    await installRateLimits(bare, { MAX_SESSIONS_PER_MINUTE: 1, MAX_PREDICTS_PER_MINUTE: 1, MAX_UPLOADS_PER_MINUTE: 1 });
    bare.post("/api/sessions", async () => ({}));
    bare.post("/api/v1/predict", async () => ({}));
    await expect(bare.ready()).rejects.toThrow("rate limits for routes that do not exist: POST /api/sessions/:id/uploads");
    await bare.close();
  });
});

describe("image decode queue", () => {
  it("answers 503 with Retry-After when every decode slot is taken and the queue is full", async () => {
    const db = await createDb();
    const app = await buildApp({ db, vision: await testVision(), logger: false, MAX_CONCURRENT_DECODES: 1, MAX_QUEUED_DECODES: 1 });
    try {
      const jpeg = readSample(1);
      const single = await app.inject({ method: "POST", url: "/api/v1/predict", headers: { "content-type": "image/jpeg" }, payload: jpeg });
      expect(single.statusCode).toBe(200);
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => app.inject({ method: "POST", url: "/api/v1/predict", headers: { "content-type": "image/jpeg" }, payload: jpeg })),
      );
      const statuses = answers.map((r) => r.statusCode);
      const ok = answers.filter((r) => r.statusCode === 200);
      const busy = answers.filter((r) => r.statusCode === 503);
      expect(
        statuses.filter((code) => code !== 200 && code !== 503),
        `statuses ${statuses}`,
      ).toEqual([]);
      // the first runs and the second waits; of the rest that arrive while both are taken, each is refused at once
      expect(ok.length, `statuses ${statuses}`).toBeGreaterThanOrEqual(2);
      expect(busy.length, `statuses ${statuses}`).toBeGreaterThanOrEqual(1);
      for (const r of ok) expect(r.json()).toEqual(single.json());
      for (const r of busy) {
        expect(r.headers["retry-after"]).toBe("1");
        expect(ErrorBody.parse(r.json()).error).toMatchObject({
          code: "NOT_READY",
          message: expect.stringMatching(/busy.*MAX_CONCURRENT_DECODES=1, MAX_QUEUED_DECODES=1/),
        });
      }
      // the queue drains: a request after the burst is served
      expect((await app.inject({ method: "POST", url: "/api/v1/predict", headers: { "content-type": "image/jpeg" }, payload: jpeg })).statusCode).toBe(200);
    } finally {
      await app.close();
      await db.close();
    }
  });
});
