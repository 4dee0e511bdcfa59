import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, createScratchDatabase, DEFAULT_MODELS_DIR, type Db } from "@emotion/db";
import { ActivationResult, ModelsResponse } from "@emotion/protocol";
import { buildApp } from "../app";
import { MAX_ADMIN_REQUESTS_PER_MINUTE } from "./models.routes";

const TOKEN = "admin-token-for-tests-0123456789";
const CARD = JSON.parse(readFileSync(join(DEFAULT_MODELS_DIR, "emotion-mini-xception.card.json"), "utf8"));
const ONNX = new Uint8Array(readFileSync(join(DEFAULT_MODELS_DIR, "emotion-mini-xception.onnx")));
const V1: number = CARD.publicTest.accuracy;

const backends: Array<[string, boolean]> = [["pglite", false]];
if (process.env.TEST_DATABASE_URL) backends.push(["postgres", true]);

describe.each(backends)("admin API for model versions on %s", (_name, isPostgres) => {
  let app: FastifyInstance;
  let db: Db;
  let drop = async () => {};
  const admin = { authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    let url: string | undefined;
    // A database of its own: the registry (one active version) is global state.
    if (isPostgres) ({ url, drop } = await createScratchDatabase(process.env.TEST_DATABASE_URL!));
    db = await createDb({ url });
    app = await buildApp({ db, vision: null, logger: false, ADMIN_TOKEN: TOKEN });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await db?.close();
    await drop();
  });

  it("answers 403 naming ADMIN_TOKEN without the token or with a wrong one, and 403 on a server without ADMIN_TOKEN", async () => {
    for (const headers of [{}, { authorization: "Bearer wrong-token-wrong-token" }, { authorization: TOKEN }]) {
      const r = await app.inject({ method: "POST", url: "/api/models/rollback", headers });
      expect(r.statusCode).toBe(403);
      expect(r.json()).toMatchObject({ error: { code: "FORBIDDEN", message: expect.stringContaining("ADMIN_TOKEN") } });
    }
    const off = await buildApp({ db, vision: null, logger: false, ADMIN_TOKEN: undefined });
    try {
      const r = await off.inject({ method: "GET", url: "/api/models", headers: admin });
      expect([r.statusCode, r.json().error.message]).toEqual([403, expect.stringContaining("set ADMIN_TOKEN")]);
    } finally {
      await off.close();
    }
  });

  it("lists version 1 active with monitoring buckets over a bounded window", async () => {
    const to = Date.now();
    const r = await app.inject({ method: "GET", url: `/api/models?from=${to - 6 * 3_600_000}&to=${to}&bucketMs=3600000`, headers: admin });
    expect(r.statusCode, r.body).toBe(200);
    const body = ModelsResponse.parse(r.json());
    expect(body.active).toBe(1);
    expect(body.models).toEqual([expect.objectContaining({ version: 1, active: true, source: "shipped", publicTest: { accuracy: V1 } })]);
    expect(body.monitoring.versions.find((v) => v.version === 1)?.buckets).toHaveLength(6);
  });

  it("validates the query with its limits", async () => {
    for (const q of ["bucketMs=1000", "bucketMs=90000", "from=10&to=5", `from=0&to=${40 * 24 * 3_600_000}`, "from=-1"]) {
      const r = await app.inject({ method: "GET", url: `/api/models?${q}`, headers: admin });
      expect(r.statusCode, q).toBe(400);
      expect(r.json().error.code).toBe("VALIDATION_FAILED");
    }
    const bad = await app.inject({ method: "POST", url: "/api/models/0/promote", headers: admin, payload: {} });
    expect([bad.statusCode, bad.json().error.message]).toEqual([400, expect.stringContaining("version is at least 1")]);
    const extra = await app.inject({ method: "POST", url: "/api/models/2/promote", headers: admin, payload: { force: "yes" } });
    expect(extra.statusCode).toBe(400);
  });

  it("refuses a version 0.5 points worse (409 naming both), promotes it forced, rolls back", async () => {
    const { version } = await db.registerModel({ card: { ...CARD, publicTest: { accuracy: V1 - 0.005 } }, onnx: ONNX });
    const refused = await app.inject({ method: "POST", url: `/api/models/${version}/promote`, headers: admin, payload: {} });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.message).toContain(`${((V1 - 0.005) * 100).toFixed(2)} % against ${(V1 * 100).toFixed(2)} %`);
    const forced = await app.inject({ method: "POST", url: `/api/models/${version}/promote`, headers: admin, payload: { force: true } });
    expect(ActivationResult.parse(forced.json())).toEqual({ version, previous: 1, forced: true });
    expect(await db.activeModelVersion()).toBe(version);
    const missing = await app.inject({ method: "POST", url: "/api/models/99/promote", headers: admin, payload: {} });
    expect(missing.statusCode).toBe(404);
    const back = await app.inject({ method: "POST", url: "/api/models/rollback", headers: admin });
    expect(back.json()).toEqual({ version: 1, previous: version, forced: false });
    const none = await app.inject({ method: "POST", url: "/api/models/rollback", headers: admin });
    expect([none.statusCode, none.json().error.code]).toEqual([409, "CONFLICT"]);
  });

  it("is in the OpenAPI document", async () => {
    const doc = (await app.inject({ method: "GET", url: "/docs/json" })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/api/models", "/api/models/{version}/promote", "/api/models/rollback"]));
    expect(doc.paths["/api/models"].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(["bucketMs", "from", "to"]);
  });

  it("rate-limits guesses of the token per address", async () => {
    const wrong = { authorization: "Bearer not-the-admin-token-at-all", "x-forwarded-for": "203.0.113.9" };
    const codes: number[] = [];
    for (let i = 0; i <= MAX_ADMIN_REQUESTS_PER_MINUTE; i++)
      codes.push((await app.inject({ method: "GET", url: "/api/models", headers: wrong, remoteAddress: "203.0.113.9" })).statusCode);
    expect(codes.slice(0, MAX_ADMIN_REQUESTS_PER_MINUTE).every((c) => c === 403)).toBe(true);
    expect(codes.at(-1)).toBe(429);
  });
});
