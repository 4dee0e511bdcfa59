import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "@emotion/protocol";
import { createDb, type Db } from "./index";
import { DEFAULT_MODELS_DIR } from "./models";
import { openTestDb } from "./scratch-database";

const SHIPPED_CARD = JSON.parse(readFileSync(join(DEFAULT_MODELS_DIR, "emotion-mini-xception.card.json"), "utf8"));
const SHIPPED_ONNX = new Uint8Array(readFileSync(join(DEFAULT_MODELS_DIR, "emotion-mini-xception.onnx")));
const V1_ACCURACY: number = SHIPPED_CARD.publicTest.accuracy;

/** A trained candidate: the shipped network's bytes under a card that reports `accuracy` on PublicTest. */
const candidate = (accuracy: number) => ({ card: { ...SHIPPED_CARD, publicTest: { ...SHIPPED_CARD.publicTest, accuracy } }, onnx: SHIPPED_ONNX });

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => null,
    (error: unknown) => error,
  );
  expect(e).toBeInstanceOf(AppError);
  return e as AppError;
}

const backends: Array<[string, boolean]> = [["pglite", false]];
if (process.env.TEST_DATABASE_URL) backends.push(["postgres", true]);

describe.each(backends)("model registry on %s", (_name, isPostgres) => {
  let db: Db;
  let url: string | undefined;
  let close = async () => {};
  beforeAll(async () => {
    ({ db, url, close } = await openTestDb(isPostgres ? process.env.TEST_DATABASE_URL! : null));
  }, 60_000);
  afterAll(() => close());

  it("seeds version 1 from models/registry.json, active on a fresh database, once however many instances start at once", async () => {
    const others = isPostgres ? await Promise.all([1, 2, 3, 4].map(() => createDb({ url, maxConnections: 2 }))) : [];
    const seeds = await Promise.all([db, db, ...others].map((d) => d.seedModels()));
    await Promise.all(others.map((d) => d.close()));
    expect(seeds.flatMap((s) => s.inserted)).toEqual([1]);
    expect(seeds.flatMap((s) => s.conflicts)).toEqual([]);

    const models = await db.listModels();
    expect(models.map((m) => [m.version, m.source, m.status])).toEqual([[1, "shipped", "active"]]);
    expect(models[0]!.publicTestAccuracy).toBeCloseTo(V1_ACCURACY, 6);
    expect((await db.modelHistory()).map((h) => h.action)).toEqual(["seed"]);
    expect(await db.activeModelVersion()).toBe(1);
    const active = await db.activeModel();
    expect(active.onnx).toBeNull();
    expect(active.file).toBe(join(DEFAULT_MODELS_DIR, "emotion-mini-xception.onnx"));
    expect(active.card.classNames).toEqual(SHIPPED_CARD.classNames);
    expect((await db.seedModels()).inserted).toEqual([]);
  });

  it("refuses a candidate 0.5 points worse on PublicTest, naming both numbers, and promotes it when forced", async () => {
    const { version } = await db.registerModel(candidate(V1_ACCURACY - 0.005));
    expect(version).toBe(2);
    const e = await refusal(db.promoteModel(version));
    expect(e.code).toBe("CONFLICT");
    expect(e.message).toContain(`${(V1_ACCURACY * 100).toFixed(2)} %`);
    expect(e.message).toContain(`${((V1_ACCURACY - 0.005) * 100).toFixed(2)} %`);
    expect(await db.activeModelVersion()).toBe(1);

    expect(await db.promoteModel(version, { force: true })).toEqual({ version: 2, previous: 1, forced: true });
    expect(await db.activeModelVersion()).toBe(2);
    const active = await db.activeModel();
    expect(active.file).toBeNull();
    expect(Buffer.from(active.onnx!).equals(Buffer.from(SHIPPED_ONNX))).toBe(true);
  });

  it("promotes a candidate within 0.3 points without force; rollback goes back one promotion at a time", async () => {
    const { version } = await db.registerModel(candidate(V1_ACCURACY - 0.007)); // 0.2 points below version 2
    expect(version).toBe(3);
    expect(await db.promoteModel(3)).toEqual({ version: 3, previous: 2, forced: false });
    expect((await refusal(db.promoteModel(3))).message).toContain("already active");
    expect((await refusal(db.promoteModel(99))).code).toBe("NOT_FOUND");

    expect(await db.rollbackModel()).toEqual({ version: 2, previous: 3, forced: false });
    expect(await db.rollbackModel()).toEqual({ version: 1, previous: 2, forced: false });
    expect((await refusal(db.rollbackModel())).message).toContain("nothing to roll back");
    expect(await db.activeModelVersion()).toBe(1);

    const status = Object.fromEntries((await db.listModels()).map((m) => [m.version, m.status]));
    expect(status).toEqual({ 1: "active", 2: "retired", 3: "retired" });
    expect((await db.modelHistory()).map((h) => `${h.action}:${h.version}${h.undone ? " undone" : ""}`)).toEqual([
      "seed:1",
      "promote:2 undone",
      "promote:3 undone",
      "rollback:2",
      "rollback:1",
    ]);
  });

  it("rejects a card that is not a model card, and bytes that are not a model", async () => {
    expect((await refusal(db.registerModel({ card: { name: "x" }, onnx: SHIPPED_ONNX }))).code).toBe("VALIDATION_FAILED");
    expect((await refusal(db.registerModel({ card: SHIPPED_CARD, onnx: new Uint8Array(3) }))).code).toBe("VALIDATION_FAILED");
  });
});

describe("registry.json", () => {
  it("adds a later shipped version as a candidate and reports a number a trained version already holds", async () => {
    const dir = mkdtempSync(join(tmpdir(), "models-"));
    try {
      for (const f of ["emotion-mini-xception.onnx", "emotion-mini-xception.card.json"]) copyFileSync(join(DEFAULT_MODELS_DIR, f), join(dir, f));
      const write = (versions: unknown[]) => writeFileSync(join(dir, "registry.json"), JSON.stringify({ versions }));
      write([{ version: 1, file: "emotion-mini-xception.onnx", default: true }]);
      const db = await createDb({ modelsDir: dir });
      expect(await db.activeModelVersion()).toBe(1);
      await db.registerModel(candidate(V1_ACCURACY)); // takes number 2
      copyFileSync(join(dir, "emotion-mini-xception.onnx"), join(dir, "b.onnx"));
      copyFileSync(join(dir, "emotion-mini-xception.card.json"), join(dir, "b.card.json"));
      write([
        { version: 1, file: "emotion-mini-xception.onnx", default: true },
        { version: 2, file: "b.onnx" },
        { version: 4, file: "b.onnx" },
      ]);
      expect(await db.seedModels()).toEqual({ inserted: [4], conflicts: [2] });
      expect((await db.listModels()).map((m) => `${m.version} ${m.source} ${m.status}`)).toEqual([
        "1 shipped active",
        "2 trained candidate",
        "4 shipped candidate",
      ]);

      write([{ version: 1, file: "emotion-mini-xception.onnx" }]);
      expect((await refusal(db.seedModels())).message).toContain("exactly one version is default");
      await db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
