import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDb, DEFAULT_MODELS_DIR, embeddedDbDir } from "@emotion/db";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { lastJson, runCli, samplePhoto } from "./run-cli";

const tmp = mkdtempSync(join(tmpdir(), "emotion-data-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A CLI run on its own embedded database (DATA_DIR). */
function cli(dataDir: string, args: string[]) {
  return runCli(args, { DATA_DIR: dataDir });
}

/** Runs `fn` on the CLI's database between CLI runs (the embedded database admits one process at a time). */
async function onDb<T>(dataDir: string, fn: (db: Awaited<ReturnType<typeof createDb>>) => Promise<T>): Promise<T> {
  const db = await createDb({ dataDir: embeddedDbDir(dataDir) });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

function ferRows(n: number, seed: number): string[] {
  return Array.from({ length: n }, (_, k) => `${k % 7},${Array.from({ length: 2304 }, (_, i) => (i * (k + 3) + seed * 31) % 256).join(" ")},Training`);
}

interface Listed {
  samples: Array<{ id: string; label: string; source: string; sessionId: string | null; createdAt: string }>;
}

describe("emotion data", () => {
  it("adds a folder of photos by emotion: faces cropped as predict does, a faceless image reported and not added", async () => {
    const dataDir = join(tmp, "folder");
    const photos = join(tmp, "photos");
    for (const e of ["happy", "sad"]) mkdirSync(join(photos, e), { recursive: true });
    // one face per image: 400-pixel squares around two of the faces of a group photo (packages/vision/test/photos.ts)
    const photo = sharp(readFileSync(samplePhoto(1)));
    await photo
      .clone()
      .extract({ left: 318, top: 296, width: 400, height: 400 })
      .jpeg()
      .toFile(join(photos, "happy", "a.jpg"));
    await photo
      .clone()
      .extract({ left: 737, top: 358, width: 400, height: 400 })
      .jpeg()
      .toFile(join(photos, "sad", "b.jpg"));
    const grey = Buffer.alloc(200 * 200 * 3, 128);
    await sharp(grey, { raw: { width: 200, height: 200, channels: 3 } })
      .png()
      .toFile(join(photos, "sad", "wall.png"));
    writeFileSync(join(photos, "happy", "notes.txt"), "not an image");

    const r = await cli(dataDir, ["data", "add", photos, "--source", "lab", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(lastJson(r)).toEqual({ source: "lab", added: 2, skipped: [], noFace: ["sad/wall.png"], manyFaces: [], notImages: ["happy/notes.txt"] });

    const listed = await cli(dataDir, ["data", "list", "--json"]);
    const { samples } = lastJson<Listed>(listed);
    expect(samples.map((s) => [s.label, s.source, s.sessionId])).toEqual(
      expect.arrayContaining([
        ["happy", "lab", null],
        ["sad", "lab", null],
      ]),
    );
    expect(Object.keys(samples[0]!).sort()).toEqual(["createdAt", "id", "label", "sessionId", "source"]);

    const misspelt = join(tmp, "misspelt");
    mkdirSync(join(misspelt, "happpy"), { recursive: true });
    const bad = await cli(dataDir, ["data", "add", misspelt, "--source", "x"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("subfolders named by emotion");
  }, 300_000);

  it("adds a FER CSV, exports it back byte for byte, and never uses a removed sample again", async () => {
    const dataDir = join(tmp, "csv");
    const rows = ferRows(5, 1);
    writeFileSync(join(tmp, "in.csv"), ["emotion,pixels,Usage", ...rows].join("\n") + "\n");
    expect(lastJson(await cli(dataDir, ["data", "add", join(tmp, "in.csv"), "--source", "kaggle", "--json"]))).toMatchObject({ added: 5, skipped: [] });

    const out = join(tmp, "out.csv");
    expect(lastJson(await cli(dataDir, ["data", "export", "--out", out, "--json"]))).toEqual({ exported: 5, path: out });
    expect(readFileSync(out, "utf8").trim().split("\n").slice(1).sort()).toEqual([...rows].sort());

    const { samples } = lastJson<Listed>(await cli(dataDir, ["data", "list", "--json"]));
    const first = samples[0]!;
    expect(lastJson(await cli(dataDir, ["data", "remove", "--id", first.id, "--json"]))).toEqual({ removed: 1 });
    await cli(dataDir, ["data", "export", "--out", out]);
    expect(readFileSync(out, "utf8").trim().split("\n")).toHaveLength(1 + 4);
    // the same file again: the four in use are duplicates, the removed one stays removed
    expect(lastJson(await cli(dataDir, ["data", "add", join(tmp, "in.csv"), "--source", "kaggle", "--json"]))).toMatchObject({ added: 0 });
    expect(lastJson<Listed>(await cli(dataDir, ["data", "list", "--json"])).samples.map((s) => s.id)).not.toContain(first.id);
  }, 300_000);

  it("validates its arguments with the flag and the limit named, exit code 2", async () => {
    const dataDir = join(tmp, "args");
    const r1 = await cli(dataDir, ["data", "list", "--limit", "0"]);
    expect([r1.code, r1.stderr]).toEqual([2, expect.stringContaining("--limit: must be at least 1")]);
    const r2 = await cli(dataDir, ["data", "remove", "--source", "a", "--session", "b"]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain("--session: must be a session id");
    const r3 = await cli(dataDir, ["data", "add", join(tmp, "in.csv"), "--source", "feedback"]);
    expect([r3.code, r3.stderr]).toEqual([2, expect.stringContaining("reserved")]);
    const r4 = await cli(dataDir, ["models", "promote", "0"]);
    expect([r4.code, r4.stderr]).toEqual([2, expect.stringContaining("<version>: must be at least 1")]);
  }, 300_000);

  it("says the embedded database is held by another process", async () => {
    const dataDir = join(tmp, "held");
    const db = await createDb({ dataDir: embeddedDbDir(dataDir) });
    try {
      const r = await cli(dataDir, ["models", "list"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("PGlite admits one process at a time");
      expect(r.stderr).toContain("--server");
    } finally {
      await db.close();
    }
  }, 300_000);
});

describe("emotion models", () => {
  it("lists version 1 active, refuses a candidate 0.5 points worse, promotes it with --force, rolls back", async () => {
    const dataDir = join(tmp, "models");
    const listed = await cli(dataDir, ["models", "list", "--json"]);
    expect(listed.code, listed.stderr).toBe(0);
    const card = JSON.parse(readFileSync(join(DEFAULT_MODELS_DIR, "emotion-mini-xception.card.json"), "utf8"));
    const v1: number = card.publicTest.accuracy;
    expect(lastJson(listed)).toEqual({ models: [{ version: 1, active: true, publicTest: { accuracy: v1 } }] });

    await onDb(dataDir, (db) =>
      db.registerModel({
        card: { ...card, publicTest: { accuracy: v1 - 0.005 } },
        onnx: new Uint8Array(readFileSync(join(DEFAULT_MODELS_DIR, "emotion-mini-xception.onnx"))),
      }),
    );
    const refused = await cli(dataDir, ["models", "promote", "2", "--json"]);
    expect(refused.code).toBe(1);
    expect(lastJson(refused)).toMatchObject({ error: { code: "CONFLICT", message: expect.stringContaining(`${(v1 * 100).toFixed(2)} %`) } });
    expect(lastJson(await cli(dataDir, ["models", "promote", "2", "--force", "--json"]))).toEqual({ version: 2, previous: 1, forced: true });
    expect(
      lastJson<{ models: Array<{ version: number; active: boolean }> }>(await cli(dataDir, ["models", "list", "--json"])).models.find((m) => m.active)?.version,
    ).toBe(2);
    expect(lastJson(await cli(dataDir, ["models", "rollback", "--json"]))).toEqual({ version: 1, previous: 2, forced: false });
  }, 300_000);
});
