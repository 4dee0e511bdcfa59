import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { createDb, type Db } from "@emotion/db";
import { buildApp } from "../app";

describe("web app serving", () => {
  const dist = mkdtempSync(join(tmpdir(), "emotion-web-"));
  let app: FastifyInstance;
  let db: Db;
  beforeAll(async () => {
    mkdirSync(join(dist, "assets"));
    writeFileSync(join(dist, "index.html"), "<!doctype html><div id=root>app</div>");
    writeFileSync(join(dist, "assets", "main-abc.js"), "console.log(1)");
    db = await createDb();
    app = await buildApp({ db, vision: null, logger: false, WEB_DIST: dist });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it.each(["/", "/join/ABC123", "/dashboard/some-id", "/report/some-id"])("answers %s with the app's index.html", async (url) => {
    const res = await app.inject(url);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("id=root");
    expect(res.headers["cross-origin-opener-policy"]).toBe("same-origin");
  });

  it("serves built assets and keeps API 404s as JSON", async () => {
    const asset = await app.inject("/assets/main-abc.js");
    expect(asset.statusCode).toBe(200);
    expect(asset.headers["cache-control"]).toContain("immutable");
    const api = await app.inject("/api/unknown");
    expect(api.statusCode).toBe(404);
    expect(api.json().error.code).toBe("NOT_FOUND");
  });
});
