import { readFileSync } from "node:fs";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@emotion/db";
import type { Emotion, ListenerJoined, ReadingAck } from "@emotion/protocol";
import type { Vision } from "@emotion/vision";
import { loadVision, MODEL_PATH } from "@emotion/vision/node";
import type { Health } from "../http/health.routes";
import { sampleCrops } from "../test/fixtures";
import { startLiveApp, type AckResponse, type LiveApp } from "../test/live-app";

type Row = { model_version: number | null; n: number };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(test: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await sleep(100);
  }
}

// A second version that is observably another model: the shipped network with two classes' names
// swapped in its card, so a face read "happy" by version 1 reads "sad" by version 2 (and vice versa).
const SWAPPED: Partial<Record<Emotion, Emotion>> = { happy: "sad", sad: "happy" };
const underV2 = (e: Emotion | null) => (e ? (SWAPPED[e] ?? e) : e);

describe("hot swap of the emotion model", () => {
  let live: LiveApp;
  let db: Db;
  let vision: Vision;
  let crops: Uint8Array[];

  beforeAll(async () => {
    // Its own vision: a swap releases the classifier it replaces.
    vision = await loadVision({ threads: 1 });
    crops = await sampleCrops(vision, 3);
    db = await createDb({});
    live = await startLiveApp({ db, vision, BATCH_WAIT_MS: 5, READING_RATE_HZ: 20, MODEL_POLL_MS: 200, INFERENCE_THREADS: 1 });
  });
  afterAll(async () => {
    await live?.close();
    await db?.close();
    await vision?.release();
  });

  const health = async () => (await live.app.inject({ method: "GET", url: "/health" })).json<Health>();

  it("switches every worker and the image API to a promoted version without a restart or a dropped crop, then rolls back", async () => {
    expect((await health()).model.version).toBe(1);
    const s = await live.createSession("Hot swap");
    const c = await live.client();
    const joined = await live.ok<ListenerJoined>(c, "listener:join", { v: 1, code: s.code, name: "Swapper" });

    let seq = 0;
    const send = async (crop: Uint8Array) =>
      (await c.timeout(30_000).emitWithAck("listener:crop", { v: 1, kind: "face", seq: seq++, capturedAt: Date.now(), crop })) as AckResponse<ReadingAck>;
    const v1 = await Promise.all(crops.map(send));
    const dominantV1 = v1.map((a) => (a.ok ? a.data.dominant : null));
    expect(
      dominantV1.some((d) => d === "happy" || d === "sad"),
      `the sample faces read ${dominantV1.join(", ")}`,
    ).toBe(true);

    // Crops keep coming while version 2 is registered, promoted and loaded.
    let isStreaming = true;
    const acks: Array<AckResponse<ReadingAck>> = [];
    const stream = (async () => {
      for (let k = 0; isStreaming; k++) {
        acks.push(await send(crops[k % crops.length]!));
        await sleep(40);
      }
    })();
    const card = JSON.parse(readFileSync(MODEL_PATH.replace(/\.onnx$/, ".card.json"), "utf8")) as { classNames: Emotion[] };
    card.classNames = card.classNames.map((e) => underV2(e)!);
    const { version } = await db.registerModel({ card, onnx: readFileSync(MODEL_PATH) });
    expect(version).toBe(2);
    await db.promoteModel(version);
    await waitFor(async () => {
      const h = await health();
      return h.model.version === 2 && h.workers.length > 0 && h.workers.every((w) => w.modelVersion === 2);
    });
    await sleep(1000);
    isStreaming = false;
    await stream;
    expect(acks.length).toBeGreaterThanOrEqual(3);
    expect(acks.filter((a) => !a.ok)).toEqual([]);

    const v2 = await Promise.all(crops.map(send));
    expect(v2.map((a) => (a.ok ? a.data.dominant : null))).toEqual(dominantV1.map(underV2));
    // The image API uses it too, and every stored reading says which version produced it.
    const result = (await db.drizzle.execute(
      sql`SELECT model_version, count(*)::int AS n FROM readings WHERE participant_id = ${joined.participantId} GROUP BY 1 ORDER BY 1`,
    )) as unknown as Row[] | { rows: Row[] };
    const stored = Array.isArray(result) ? result : result.rows;
    expect(stored.map((r) => r.model_version)).toEqual([1, 2]);
    expect(stored.reduce((n, r) => n + r.n, 0)).toBe(seq);

    await db.rollbackModel();
    await waitFor(async () => (await health()).model.version === 1);
    const back = await Promise.all(crops.map(send));
    expect(back.map((a) => (a.ok ? a.data.dominant : null))).toEqual(dominantV1);
  }, 120_000);
});
