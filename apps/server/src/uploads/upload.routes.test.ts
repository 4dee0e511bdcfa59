import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@emotion/db";
import { SessionReport } from "@emotion/protocol";
import { makeTwoFaceVideo } from "@emotion/vision/testing";
import { buildApp } from "../app";
import { testVision } from "../test/fixtures";
import { bearer, multipart, uploadClient } from "./upload.test-kit";

describe("uploaded recordings", () => {
  let app: FastifyInstance;
  let db: Db;
  let video: Buffer;
  let dir: string;
  let api: ReturnType<typeof uploadClient>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "uploads-"));
    video = readFileSync(await makeTwoFaceVideo(dir));
    db = await createDb();
    app = await buildApp({ db, vision: await testVision(), logger: false, DATA_DIR: dir, MAX_VIDEO_BYTES: 5_000_000 });
    api = uploadClient(app);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it("analyses a recording into one participant per tracked face, storing only the frames each face was seen in", async () => {
    const s = await api.session();
    const res = await api.upload(s, video);
    expect(res.statusCode).toBe(202);
    const { uploadId } = res.json();
    const status = await api.settle(s, uploadId);
    expect(status).toMatchObject({ status: "done", progress: 1, faces: 2, error: null, fileName: "talk.mp4" });
    expect(status.durationS).toBeCloseTo(8, 0);
    const report = SessionReport.parse((await app.inject({ url: `/api/sessions/${s.id}/report`, headers: bearer(s) })).json());
    // A is on screen in all 16 samples; B in 9 (1.0-3.0 s and 5.0-6.5 s): no "no face" rows while B is away
    expect(report.listeners.map((l) => [l.name, l.kind, l.readings])).toEqual([
      ["Face 1", "upload", 16],
      ["Face 2", "upload", 9],
    ]);
    const csv = (await app.inject({ url: `/api/sessions/${s.id}/export.csv`, headers: bearer(s) })).body.trimEnd().split("\n");
    expect(csv).toHaveLength(1 + 25);
    expect(csv.filter((l) => l.includes(",no_face"))).toEqual([]);
    // B keeps its identity across its 1.5 s absence (under the 4 s gap)
    expect(csv.filter((l) => l.startsWith("Face 2,")).map((l) => l.split(",")[1])).toEqual([
      "1000",
      "1500",
      "2000",
      "2500",
      "3000",
      "5000",
      "5500",
      "6000",
      "6500",
    ]);
  }, 60_000);

  it("refuses what is not a recording, a missing field, a too-large file and a missing token", async () => {
    const s = await api.session();
    const text = await api.upload(s, Buffer.from("just some text, not a video"));
    expect(text.statusCode).toBe(415);
    expect(text.json().error.message).toContain("not an mp4, webm or mov video");
    expect((await api.upload(s, video, "file")).statusCode).toBe(400);
    const big = await api.upload(s, Buffer.concat([video, Buffer.alloc(5_000_000)]));
    expect(big.statusCode).toBe(413);
    const { payload, headers } = multipart("video", "talk.mp4", video);
    expect((await app.inject({ method: "POST", url: `/api/sessions/${s.id}/uploads`, payload, headers })).statusCode).toBe(401);
    expect((await app.inject(`/api/uploads/00000000-0000-0000-0000-000000000000`)).statusCode).toBe(404);
  });

  it("fails a truncated recording with a plain sentence (no path, no ffmpeg output) and keeps nothing of it", async () => {
    const s = await api.session();
    const res = await api.upload(s, video.subarray(0, 3000));
    expect(res.statusCode).toBe(202);
    const status = await api.settle(s, res.json().uploadId);
    expect(status.status).toBe("failed");
    expect(["the file has no video stream that can be read", "the recording could not be decoded", "no frame of the recording could be decoded"]).toContain(
      status.error,
    );
    expect(status.error).not.toMatch(/\/|\\|ffmpeg|\.upload|moov|invalid/i);
    expect(await db.listParticipants(s.id)).toEqual([]);
    expect(await db.countReadings(s.id)).toBe(0);
  });

  it("shows only status and progress without the speaker token, everything with it, and 403 for a wrong one", async () => {
    const [s, other] = [await api.session(), await api.session("Another talk")];
    const { uploadId } = (await api.upload(s, video)).json();
    const open = await app.inject(`/api/uploads/${uploadId}`);
    expect(open.statusCode).toBe(200);
    expect(Object.keys(open.json()).sort()).toEqual(["progress", "status", "uploadId"]);
    expect(JSON.stringify(open.json())).not.toContain(s.id);
    expect((await app.inject({ url: `/api/uploads/${uploadId}`, headers: bearer(other) })).statusCode).toBe(403);
    const full = await api.status(s, uploadId);
    expect(full).toMatchObject({ uploadId, sessionId: s.id, fileName: "talk.mp4" });
    await api.settle(s, uploadId);
  }, 60_000);

  it("lets only the session's speaker list and cancel its uploads", async () => {
    const [s, other] = [await api.session(), await api.session("Another talk")];
    const { uploadId } = (await api.upload(s, video)).json();
    expect((await app.inject({ url: `/api/sessions/${s.id}/uploads` })).statusCode).toBe(401);
    expect((await app.inject({ url: `/api/sessions/${s.id}/uploads`, headers: bearer(other) })).statusCode).toBe(403);
    const list = await app.inject({ url: `/api/sessions/${s.id}/uploads`, headers: bearer(s) });
    expect(list.json().uploads.map((u: { uploadId: string }) => u.uploadId)).toEqual([uploadId]);
    expect((await app.inject({ method: "DELETE", url: `/api/uploads/${uploadId}` })).statusCode).toBe(401);
    expect((await app.inject({ method: "DELETE", url: `/api/uploads/${uploadId}`, headers: bearer(other) })).statusCode).toBe(403);
    expect((await app.inject({ method: "DELETE", url: `/api/uploads/00000000-0000-0000-0000-000000000000`, headers: bearer(s) })).statusCode).toBe(404);
    // neither refused call touched it: it still finishes
    expect((await api.settle(s, uploadId)).status).toBe("done");
    const again = await app.inject({ method: "DELETE", url: `/api/uploads/${uploadId}`, headers: bearer(s) });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toEqual({ code: "CONFLICT", message: "the upload is already done" });
  }, 60_000);
});
