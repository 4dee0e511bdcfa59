import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDb } from "@emotion/db";
import { afterEach, describe, expect, it } from "vitest";
import { buildApp } from "./app";
import { embeddedDbDir } from "./env";

describe("DATA_DIR layout of the embedded database", () => {
  const dirs: string[] = [];
  const fresh = () => {
    const d = mkdtempSync(join(tmpdir(), "emotion-data-dir-"));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("starts on a DATA_DIR that already holds an uploads folder, with the database in DATA_DIR/pglite", async () => {
    // Regression: PGlite used DATA_DIR itself, so an uploads/ folder made first (by an earlier run or a
    // test) stopped the server with PGlite's bare "Program terminated with exit(1)".
    const dir = fresh();
    mkdirSync(join(dir, "uploads"));
    const app = await buildApp({ vision: null, logger: false, DATA_DIR: dir, DATABASE_URL: undefined });
    try {
      const res = await app.inject({ method: "POST", url: "/api/sessions", payload: { title: "Layout" } });
      expect(res.statusCode).toBe(201);
      expect(existsSync(join(dir, "pglite", "PG_VERSION"))).toBe(true);
    } finally {
      await app.close();
    }
  });

  it("keeps using a database made before the layout change, in DATA_DIR itself", async () => {
    const dir = fresh();
    const old = await createDb({ dataDir: dir });
    const s = await old.createSession({ code: "LEGACY01", title: "Made before", speakerTokenHash: "h" });
    await old.close();
    expect(embeddedDbDir(dir)).toBe(dir);
    const app = await buildApp({ vision: null, logger: false, DATA_DIR: dir, DATABASE_URL: undefined });
    try {
      expect((await app.db.getSession(s!.id))?.title).toBe("Made before");
      expect(existsSync(join(dir, "pglite"))).toBe(false);
    } finally {
      await app.close();
    }
  });

  it("puts a new database under DATA_DIR/pglite", () => {
    const dir = fresh();
    expect(embeddedDbDir(dir)).toBe(join(dir, "pglite"));
  });
});
