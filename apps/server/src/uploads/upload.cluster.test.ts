import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@emotion/db";
import { CreatedSession, UPLOAD_INTERRUPTED } from "@emotion/protocol";
import { makeJumpingFacesVideo, makeTwoFaceVideo } from "@emotion/vision/testing";
import { buildApp, type BuildAppOptions } from "../app";
import { testVision } from "../test/fixtures";
import { bearer, captureLog, countChunks, sharedDatabases, uploadClient, type SharedDatabase } from "./upload.test-kit";

const LEASE_MS = 2000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Several server instances (each its own app, upload jobs and DATA_DIR) on one database, as behind a load balancer. */
describe.each(sharedDatabases(process.env.TEST_DATABASE_URL))("uploads shared by several instances (%s)", (_name, open) => {
  let shared: SharedDatabase;
  let db: Db;
  let video: Buffer;
  let longer: Buffer;
  let work: string;
  const apps: FastifyInstance[] = [];

  async function instance(options: BuildAppOptions = {}) {
    const app = await buildApp({
      db: await shared.connect(),
      vision: await testVision(),
      logger: false,
      DATA_DIR: mkdtempSync(join(work, "instance-")),
      UPLOAD_LEASE_MS: LEASE_MS,
      ...options,
    });
    apps.push(app);
    return app;
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "upload-cluster-"));
    video = readFileSync(await makeTwoFaceVideo(work));
    longer = readFileSync(await makeJumpingFacesVideo(work, { seconds: 60 }));
    shared = await open();
    db = await shared.connect();
  }, 120_000);
  afterAll(async () => {
    for (const app of apps.splice(0)) await app.close();
    await shared?.close();
  });

  /** A received upload, through `app`, not yet claimed by anyone (its jobs take none). */
  async function uploadThrough(app: FastifyInstance, body = video) {
    const api = uploadClient(app);
    const s = await api.session();
    const res = await api.upload(s, body);
    expect(res.statusCode).toBe(202);
    return { s, uploadId: res.json().uploadId as string, api };
  }

  it("runs on another instance a job uploaded through one that analyses nothing (UPLOAD_CONCURRENCY=0); its status reads the same on both", async () => {
    const front = await instance({ UPLOAD_CONCURRENCY: 0 });
    const back = await instance({ UPLOAD_CONCURRENCY: 1 });
    const { s, uploadId, api } = await uploadThrough(front);
    const status = await api.settle(s, uploadId);
    expect(status).toMatchObject({ status: "done", progress: 1, faces: 2, error: null });
    expect((await db.getUpload(uploadId))!.worker).toBe(back.uploads.worker);
    expect(await uploadClient(back).status(s, uploadId)).toEqual(status);
    expect((await db.listParticipants(s.id)).map((p) => p.readingsCount)).toEqual([16, 9]);
    expect(await countChunks(db, uploadId)).toBe(0);
    for (const app of apps.splice(0)) await app.close();
  }, 120_000);

  it("stops within about a second when cancelled through an instance that is not running it, and keeps nothing", async () => {
    const front = await instance({ UPLOAD_CONCURRENCY: 0 });
    await instance({ UPLOAD_CONCURRENCY: 1 });
    const { s, uploadId, api } = await uploadThrough(front, longer);
    let seen = 0;
    for (let i = 0; i < 600 && seen === 0; i++) {
      await sleep(50);
      seen = await db.countReadings(s.id);
    }
    expect(seen).toBeGreaterThan(0);
    const askedAt = Date.now();
    const res = await front.inject({ method: "DELETE", url: `/api/uploads/${uploadId}`, headers: bearer(s) });
    expect(res.statusCode).toBe(200);
    const status = await api.settle(s, uploadId);
    const stoppedMs = Date.now() - askedAt;
    expect(status.status).toBe("cancelled");
    expect(status.progress).toBeLessThan(0.6);
    // one heartbeat (1 s) plus the removal; a generous bound on a busy machine
    expect(stoppedMs).toBeLessThan(4000);
    expect(await db.listParticipants(s.id)).toEqual([]);
    expect(await db.countReadings(s.id)).toBe(0);
    expect(await countChunks(db, uploadId)).toBe(0);
    await sleep(1500);
    expect(await db.countReadings(s.id)).toBe(0);
    for (const app of apps.splice(0)) await app.close();
  }, 120_000);

  /** What a runner that claimed the job and then stopped (its heartbeat with it) leaves: processing, a lease, part of the readings. */
  async function claimAndDie(sessionId: string, worker: string) {
    const row = (await db.claimUpload(worker, 1000))!;
    expect(row.worker).toBe(worker);
    const participantId = await db.addUploadParticipant({ uploadId: row.id, sessionId, name: "Face of a dead run" });
    await db.insertReadings(
      [0, 500].map((tMs) => ({
        sessionId,
        participantId,
        capturedAt: 1e12 + tMs,
        serverAt: 1e12,
        tMs,
        quality: "ok" as const,
        dominant: "sad" as const,
        probabilities: null,
      })),
    );
    return row;
  }

  it("requeues a job whose runner stopped renewing its lease, removes that run's readings and finishes it", async () => {
    const front = await instance({ UPLOAD_CONCURRENCY: 0 });
    const { s, uploadId, api } = await uploadThrough(front);
    const dead = await claimAndDie(s.id, "a-runner-that-stopped");
    expect(dead.id).toBe(uploadId);
    // only now an instance that analyses: it reaps the expired lease and runs the job again
    await instance({ UPLOAD_CONCURRENCY: 1 });
    const status = await api.settle(s, uploadId);
    expect(status).toMatchObject({ status: "done", faces: 2 });
    const row = (await db.getUpload(uploadId))!;
    expect(row.attempts).toBe(2);
    expect((await db.listParticipants(s.id)).map((p) => [p.name, p.readingsCount])).toEqual([
      ["Face 1", 16],
      ["Face 2", 9],
    ]);
    expect(await countChunks(db, uploadId)).toBe(0);
    for (const app of apps.splice(0)) await app.close();
  }, 120_000);

  it('fails a job whose runners died MAX_UPLOAD_ATTEMPTS times "interrupted", with nothing of it kept; never left processing', async () => {
    const front = await instance({ UPLOAD_CONCURRENCY: 0, MAX_UPLOAD_ATTEMPTS: 2 });
    const { s, uploadId, api } = await uploadThrough(front);
    await claimAndDie(s.id, "first-runner");
    // front takes it over: attempt 1 of 2, what that run stored removed, back to the queue
    await api.settle(s, uploadId, (u) => u.status === "queued");
    expect(await db.countReadings(s.id)).toBe(0);
    await claimAndDie(s.id, "second-runner");
    const status = await api.settle(s, uploadId);
    expect(status).toMatchObject({ status: "failed", error: UPLOAD_INTERRUPTED });
    expect(await db.listParticipants(s.id)).toEqual([]);
    expect(await db.countReadings(s.id)).toBe(0);
    expect(await countChunks(db, uploadId)).toBe(0);
    expect((await db.getUpload(uploadId))!).toMatchObject({ attempts: 2, leaseUntil: null });
    for (const app of apps.splice(0)) await app.close();
  }, 60_000);

  it("never runs one job twice when three instances claim at once (6 jobs)", async () => {
    const logs = [captureLog(), captureLog(), captureLog()];
    const front = await instance({ UPLOAD_CONCURRENCY: 0 });
    const api = uploadClient(front);
    const s = CreatedSession.parse((await front.inject({ method: "POST", url: "/api/sessions", payload: { title: "Six" } })).json());
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await api.upload(s, video)).json().uploadId);
    // all six wait; three instances start together and race for them (six analyses on two cores: the default lease)
    const workers = await Promise.all(logs.map(({ logger }) => instance({ UPLOAD_CONCURRENCY: 2, UPLOAD_LEASE_MS: 15_000, logger })));
    for (const id of ids) expect((await api.settle(s, id)).status).toBe("done");
    const analysed = logs.flatMap(({ lines }) => lines.filter((l) => l.msg === "upload analysed").map((l) => l.uploadId));
    expect(analysed.sort()).toEqual([...ids].sort());
    expect(logs.flatMap(({ lines }) => lines.filter((l) => String(l.msg).includes("lease")))).toEqual([]);
    for (const id of ids) expect((await db.getUpload(id))!.attempts).toBe(1);
    const ran = new Set(await Promise.all(ids.map(async (id) => (await db.getUpload(id))!.worker)));
    expect(ran.size).toBeGreaterThan(1); // shared out, not one instance taking all
    expect([...ran].every((w) => workers.some((app) => app.uploads.worker === w))).toBe(true);
    // one run each: 2 faces per recording, 25 readings, no duplicates
    expect((await db.listParticipants(s.id)).length).toBe(12);
    expect(await db.countReadings(s.id)).toBe(6 * 25);
    expect(await countChunks(db)).toBe(0);
    for (const app of apps.splice(0)) await app.close();
  }, 240_000);
});
