import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, embeddedDbDir, type Db } from "@emotion/db";
import { CreatedSession, UploadView } from "@emotion/protocol";
import { makeJumpingFacesVideo } from "@emotion/vision/testing";
import { buildApp } from "../app";
import { startServerProcess, type ServerProcess } from "../spawn";
import { testVision } from "../test/fixtures";
import { countChunks, sharedDatabases, uploadClient, type SharedDatabase } from "./upload.test-kit";

const LEASE_MS = 4000;

/** A real server process (tsx, its own model and database connection) that gets an upload and dies while analysing it. */
describe.each(sharedDatabases(process.env.TEST_DATABASE_URL))("an instance that dies while analysing an upload (%s)", (name, open) => {
  let shared: SharedDatabase;
  let video: Buffer;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "upload-crash-"));
    video = readFileSync(await makeJumpingFacesVideo(work, { seconds: 60 }));
    shared = await open();
  }, 120_000);
  afterAll(() => shared?.close());

  /** DATA_DIR of the dying server: on PGlite it also holds the database the next instance opens. */
  async function startDying(dataDir: string): Promise<ServerProcess> {
    return startServerProcess({
      dataDir,
      env: { DATABASE_URL: shared.url ?? undefined, REDIS_URL: undefined, UPLOAD_LEASE_MS: String(LEASE_MS), INFERENCE_THREADS: "1" },
    });
  }

  /** Uploads through the server process and waits until its analysis has stored some readings. */
  async function uploadAndWaitForProgress(server: ServerProcess) {
    const s = CreatedSession.parse(
      await (await fetch(`${server.url}/api/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"title":"Crash"}' })).json(),
    );
    const form = new FormData();
    form.append("video", new Blob([video], { type: "video/mp4" }), "talk.mp4");
    const headers = { authorization: `Bearer ${s.speakerToken}` };
    const res = await fetch(`${server.url}/api/sessions/${s.id}/uploads`, { method: "POST", body: form, headers });
    expect(res.status).toBe(202);
    const { uploadId } = (await res.json()) as { uploadId: string };
    for (let i = 0; i < 1200; i++) {
      const status = UploadView.parse(await (await fetch(`${server.url}/api/uploads/${uploadId}`, { headers })).json());
      if (status.status === "processing" && status.progress >= 0.1) return { s, uploadId };
      expect(status.status).toMatch(/queued|processing/);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("the analysis did not get going");
  }

  /** The next instance on the same database (and DATA_DIR). */
  async function nextInstance(dataDir: string, concurrency = 1): Promise<{ app: FastifyInstance; db: Db; close: () => Promise<void> }> {
    const db = shared.url ? await shared.connect() : await createDb({ dataDir: embeddedDbDir(dataDir) });
    const app = await buildApp({
      db,
      vision: await testVision(),
      logger: false,
      DATA_DIR: dataDir,
      UPLOAD_LEASE_MS: LEASE_MS,
      UPLOAD_CONCURRENCY: concurrency,
    });
    return {
      app,
      db,
      async close() {
        await app.close();
        if (!shared.url) await db.close();
      },
    };
  }

  it("kill -9: another instance requeues the job once its lease runs out, removes the partial readings and finishes it", async () => {
    const dataDir = mkdtempSync(join(work, `${name}-kill-`));
    const server = await startDying(dataDir);
    const { s, uploadId } = await uploadAndWaitForProgress(server);
    process.kill(server.pid, "SIGKILL");
    await server.stop();
    const scratch = readdirSync(join(dataDir, "uploads"));
    expect(scratch).toHaveLength(1); // the dead process's copy of the recording

    const next = await nextInstance(dataDir);
    try {
      const left = (await next.db.getUpload(uploadId))!;
      // on Postgres the reaper of the new instance may already have run; on PGlite it opened the database just now
      expect(left.attempts).toBeGreaterThanOrEqual(1);
      expect(existsSync(join(dataDir, "uploads", scratch[0]!))).toBe(false); // deleted at start: its process is gone
      const api = uploadClient(next.app);
      const status = await api.settle(s, uploadId);
      expect(status).toMatchObject({ status: "done", progress: 1, error: null });
      const row = (await next.db.getUpload(uploadId))!;
      expect(row).toMatchObject({ attempts: 2, worker: next.app.uploads.worker, leaseUntil: null });
      const people = await next.db.listParticipants(s.id);
      expect(people.length).toBe(status.faces);
      expect(await next.db.countReadings(s.id)).toBe(people.reduce((n, p) => n + p.readingsCount, 0));
      expect(await countChunks(next.db, uploadId)).toBe(0);
      expect(readdirSync(join(dataDir, "uploads"))).toEqual([]);
    } finally {
      await next.close();
    }
  }, 240_000);

  it("SIGTERM: the job goes back to the queue at once (not counted as an attempt, nothing of it kept) and the next instance runs it", async () => {
    const dataDir = mkdtempSync(join(work, `${name}-term-`));
    const server = await startDying(dataDir);
    const { s, uploadId } = await uploadAndWaitForProgress(server);
    expect((await server.stop()).code).toBe(0);

    const next = await nextInstance(dataDir, 0); // one that takes no job: the row as the stopped server left it
    try {
      const released = (await next.db.getUpload(uploadId))!;
      expect(released).toMatchObject({ status: "queued", attempts: 0, worker: null, leaseUntil: null, progress: 0 });
      expect(await next.db.countReadings(s.id)).toBe(0);
      expect(await countChunks(next.db, uploadId)).toBeGreaterThan(0);
      expect(readdirSync(join(dataDir, "uploads"))).toEqual([]);
    } finally {
      await next.close();
    }
    const again = await nextInstance(dataDir);
    try {
      const status = await uploadClient(again.app).settle(s, uploadId);
      expect(status.status).toBe("done");
      expect((await again.db.getUpload(uploadId))!.attempts).toBe(1);
      expect(await countChunks(again.db, uploadId)).toBe(0);
    } finally {
      await again.close();
    }
  }, 240_000);
});
