import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@emotion/db";
import { makeJumpingFacesVideo } from "@emotion/vision/testing";
import { buildApp } from "../app";
import { testVision } from "../test/fixtures";
import { chunkTableBytes, countChunks, uploadClient } from "./upload.test-kit";

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);

describe("upload analysis", () => {
  let app: FastifyInstance;
  let db: Db;
  let jumping: Buffer;
  let longer: Buffer;
  let dir: string;
  let api: ReturnType<typeof uploadClient>;
  beforeAll(async () => {
    process.on("unhandledRejection", onUnhandled);
    dir = mkdtempSync(join(tmpdir(), "upload-jobs-"));
    // 20 s, three faces jumping to new places every 0.5 s: 40 sampled frames, many short-lived tracks
    jumping = readFileSync(await makeJumpingFacesVideo(dir, { seconds: 20 }));
    longer = readFileSync(await makeJumpingFacesVideo(dir, { seconds: 60 }));
    db = await createDb();
    app = await buildApp({
      db,
      vision: await testVision(),
      logger: false,
      DATA_DIR: join(dir, "data"),
      MAX_QUEUED_UPLOADS: 1,
      UPLOAD_DISK_QUOTA_BYTES: 50_000_000,
    });
    api = uploadClient(app);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await db?.close();
    process.off("unhandledRejection", onUnhandled);
  });

  it("stores one row per sighting, not one per track and frame, and deletes the recording", async () => {
    const s = await api.session();
    const { uploadId } = (await api.upload(s, jumping)).json();
    const status = await api.settle(s, uploadId);
    expect(status.status).toBe("done");
    const people = await db.listParticipants(s.id);
    const rows = await db.countReadings(s.id);
    // many short-lived faces (every jump ends a sighting) ...
    expect(people.length).toBe(status.faces);
    expect(people.length).toBeGreaterThan(6);
    // ... yet at most 3 rows per sampled frame (three faces on screen), none of them "no face"
    expect(rows).toBe(people.reduce((n, p) => n + p.readingsCount, 0));
    expect(rows).toBeLessThanOrEqual(3 * 40);
    expect(rows).toBeGreaterThan(2 * 40);
    const csv = (await app.inject({ url: `/api/sessions/${s.id}/export.csv`, headers: { authorization: `Bearer ${s.speakerToken}` } })).body;
    expect(csv).not.toContain("no_face");
    // the old store kept every track to the end: one row per track per frame from its first sighting
    expect(rows * 3).toBeLessThan(people.length * 40);
    // nothing of the recording is kept: no scratch copy, no piece in the database
    expect(readdirSync(join(dir, "data", "uploads"))).toEqual([]);
    expect(await countChunks(db, uploadId)).toBe(0);
    // embedded PGlite has no autovacuum: the next pass gives the recording's pages back
    let tableBytes = Infinity;
    for (let i = 0; i < 30 && tableBytes >= 100_000; i++) {
      await new Promise((r) => setTimeout(r, 100));
      await app.uploads.poll();
      tableBytes = await chunkTableBytes(db);
    }
    expect(tableBytes).toBeLessThan(Math.min(100_000, jumping.length / 4));
  }, 120_000);

  it("stops analysing at once when cancelled, and removes what it had already stored", async () => {
    const s = await api.session();
    const { uploadId } = (await api.upload(s, longer)).json();
    // wait until the first readings are stored (120 frames, about 350 readings, 100 per batch), then cancel
    let seen = 0;
    for (let i = 0; i < 600 && seen === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      seen = await db.countReadings(s.id);
    }
    const cancelled = await app.inject({ method: "DELETE", url: `/api/uploads/${uploadId}`, headers: { authorization: `Bearer ${s.speakerToken}` } });
    expect(cancelled.statusCode).toBe(200);
    const status = await api.settle(s, uploadId);
    expect(status.status).toBe("cancelled");
    expect(status.progress).toBeLessThan(0.6);
    expect(seen).toBeGreaterThan(0);
    expect(await db.listParticipants(s.id)).toEqual([]);
    expect(await db.countReadings(s.id)).toBe(0);
    expect(await db.reportBuckets(s.id)).toEqual([]);
    // work really stopped: nothing more is stored for it afterwards
    await new Promise((r) => setTimeout(r, 1000));
    expect(await db.countReadings(s.id)).toBe(0);
    expect((await api.status(s, uploadId)).status).toBe("cancelled");
  }, 120_000);

  it("refuses a recording beyond the queue limit with 429 naming MAX_QUEUED_UPLOADS", async () => {
    const s = await api.session();
    const first = (await api.upload(s, jumping)).json().uploadId; // analysed now
    const second = (await api.upload(s, jumping)).json().uploadId; // waits: the queue is full (1)
    const third = await api.upload(s, jumping);
    expect(third.statusCode).toBe(429);
    expect(third.headers["retry-after"]).toBe("60");
    expect(third.json().error.code).toBe("RATE_LIMITED");
    expect(third.json().error.message).toContain("MAX_QUEUED_UPLOADS=1");
    for (const id of [second, first]) await app.inject({ method: "DELETE", url: `/api/uploads/${id}`, headers: { authorization: `Bearer ${s.speakerToken}` } });
    expect((await api.settle(s, second)).status).toBe("cancelled");
    expect((await api.settle(s, first)).status).toBe("cancelled");
  }, 120_000);

  it("refuses a recording that does not fit the disk quota with 507 naming UPLOAD_DISK_QUOTA_BYTES", async () => {
    const s = await api.session();
    // a recording on its way in elsewhere holds all but a few bytes of the space
    const filler = await db.createUpload({ sessionId: s.id, fileName: "filler.mp4", bytes: 50_000_000 - jumping.length });
    const full = await api.upload(s, jumping);
    expect(full.statusCode).toBe(507);
    expect(full.headers["retry-after"]).toBe("60");
    expect(full.json().error.message).toContain("UPLOAD_DISK_QUOTA_BYTES");
    expect(full.json().error.message).toContain("50000000 bytes");
    expect((await db.listUploads(s.id)).map((u) => u.id)).toEqual([filler.id]);
    await db.updateUpload(filler.id, { status: "cancelled" });
    expect((await api.upload(s, Buffer.concat([jumping, Buffer.alloc(50_000_000)]))).statusCode).toBe(413);
  });

  it("let no promise of the upload path reject unhandled", async () => {
    await new Promise((r) => setTimeout(r, 100));
    expect(unhandled).toEqual([]);
  });
});
