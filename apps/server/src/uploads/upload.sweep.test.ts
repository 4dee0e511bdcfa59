import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@emotion/db";
import { UPLOAD_INTERRUPTED } from "@emotion/protocol";
import { buildApp } from "../app";
import { hashToken } from "../sessions";
import { LOCK_FILE, WORKER_ID_FILE } from "./upload.sweep";

/** What a crash mid-analysis leaves: a "processing" row, its recording on disk, and the readings stored so far. */
async function crashedUpload(db: Db, dir: string, worker: string | null) {
  const session = (await db.createSession({
    code: `C${Math.random().toString(36).slice(2, 8).toUpperCase()}`,
    title: "Crashed",
    speakerTokenHash: hashToken("speaker-token"),
  }))!;
  const upload = await db.createUpload({ sessionId: session.id, fileName: "talk.mp4", bytes: 5, worker });
  await db.updateUpload(upload.id, { status: "processing", progress: 0.4 });
  const participantId = await db.addUploadParticipant({ uploadId: upload.id, sessionId: session.id, name: "Face 1" });
  await db.insertReadings(
    [0, 500, 1000].map((tMs) => ({
      sessionId: session.id,
      participantId,
      capturedAt: 1e12 + tMs,
      serverAt: 1e12,
      tMs,
      quality: "ok" as const,
      dominant: "happy" as const,
      probabilities: null,
    })),
  );
  const file = join(dir, `${upload.id}.upload`);
  writeFileSync(file, "a recording");
  return { session, upload, file };
}

describe("the start-up sweep of interrupted uploads", () => {
  let db: Db;
  let dataDir: string;
  beforeAll(async () => {
    db = await createDb();
    dataDir = mkdtempSync(join(tmpdir(), "upload-sweep-"));
    mkdirSync(join(dataDir, "uploads"));
  });
  afterAll(() => db?.close());

  it('deletes the recordings, removes what they stored and marks their uploads failed "interrupted"', async () => {
    const dir = join(dataDir, "uploads");
    writeFileSync(join(dir, WORKER_ID_FILE), "this-server");
    const mine = await crashedUpload(db, dir, "this-server");
    const legacy = await crashedUpload(db, dir, null);
    const partial = join(dir, "0b6f.part");
    writeFileSync(partial, "half a transfer");
    // another server's upload, still refreshed by it: not ours to sweep
    const theirs = await crashedUpload(db, join(dataDir), "another-server");
    // a server gone for good: its upload is stale
    const gone = await crashedUpload(db, join(dataDir), "gone-server");
    await db.drizzle.execute(sql`UPDATE uploads SET updated_at = now() - interval '1 hour' WHERE id = ${gone.upload.id}`);

    const app = await buildApp({ db, vision: null, logger: false, DATA_DIR: dataDir });
    try {
      for (const crashed of [mine, legacy, gone]) {
        const row = (await db.getUpload(crashed.upload.id))!;
        expect(row).toMatchObject({ status: "failed", error: UPLOAD_INTERRUPTED });
        expect(row.error).toMatch(/^interrupted/);
        expect(await db.listParticipants(crashed.session.id)).toEqual([]);
        expect(await db.countReadings(crashed.session.id)).toBe(0);
        expect(await db.reportBuckets(crashed.session.id)).toEqual([]);
      }
      expect(existsSync(mine.file) || existsSync(legacy.file) || existsSync(partial)).toBe(false);
      expect(readFileSync(join(dir, WORKER_ID_FILE), "utf8")).toBe("this-server");
      expect(readFileSync(join(dir, LOCK_FILE), "utf8")).toBe(`${process.pid} ${hostname()}`);
      expect((await db.getUpload(theirs.upload.id))!.status).toBe("processing");
      expect(await db.countReadings(theirs.session.id)).toBe(3);
      // a swept upload is finished: cancelling it is a conflict
      const del = await app.inject({ method: "DELETE", url: `/api/uploads/${mine.upload.id}`, headers: { authorization: "Bearer speaker-token" } });
      expect(del.statusCode).toBe(409);
      expect(del.json().error.code).toBe("CONFLICT");
    } finally {
      await app.close();
    }
  });

  it("leaves a folder alone that another live server on this host holds, and makes nothing before the first upload", async () => {
    const shared = mkdtempSync(join(tmpdir(), "upload-sweep-shared-"));
    mkdirSync(join(shared, "uploads"));
    // the parent process (the test runner) stands for a dev server using the same DATA_DIR
    writeFileSync(join(shared, "uploads", LOCK_FILE), `${process.ppid} ${hostname()}`);
    const waiting = join(shared, "uploads", "0b6f0000-0000-4000-8000-000000000000.upload");
    writeFileSync(waiting, "its recording");
    const fresh = mkdtempSync(join(tmpdir(), "upload-sweep-fresh-"));
    for (const DATA_DIR of [shared, fresh]) {
      const app = await buildApp({ db, vision: null, logger: false, DATA_DIR });
      await app.close();
    }
    expect(existsSync(waiting)).toBe(true);
    expect(existsSync(join(fresh, "uploads"))).toBe(false);
  });
});
