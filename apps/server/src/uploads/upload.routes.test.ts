import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@emotion/db";
import { CreatedSession, SessionReport } from "@emotion/protocol";
import { makeTwoFaceVideo } from "@emotion/vision/testing";
import { buildApp } from "../app";
import { testVision } from "../test/fixtures";

function multipart(field: string, filename: string, body: Buffer, type = "video/mp4") {
  const boundary = "----emotion-test-boundary";
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`),
    body,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, headers: { "content-type": `multipart/form-data; boundary=${boundary}` } };
}

describe("uploaded recordings", () => {
  let app: FastifyInstance;
  let db: Db;
  let video: Buffer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "uploads-"));
    video = readFileSync(await makeTwoFaceVideo(dir));
    db = await createDb();
    app = await buildApp({ db, vision: await testVision(), logger: false, DATA_DIR: dir, MAX_VIDEO_BYTES: 5_000_000 });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  async function session() {
    return CreatedSession.parse((await app.inject({ method: "POST", url: "/api/sessions", payload: { title: "Recorded talk" } })).json());
  }
  const bearer = (s: CreatedSession) => ({ authorization: `Bearer ${s.speakerToken}` });
  async function upload(s: CreatedSession, body: Buffer, field = "video", name = "talk.mp4") {
    const { payload, headers } = multipart(field, name, body);
    return app.inject({ method: "POST", url: `/api/sessions/${s.id}/uploads`, payload, headers: { ...headers, ...bearer(s) } });
  }
  async function settle(uploadId: string) {
    for (let i = 0; i < 300; i++) {
      const status = (await app.inject(`/api/uploads/${uploadId}`)).json();
      if (["done", "failed", "cancelled"].includes(status.status)) return status;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("upload did not finish");
  }

  it("analyses a recording into one participant per tracked face, with the video's timestamps", async () => {
    const s = await session();
    const res = await upload(s, video);
    expect(res.statusCode).toBe(202);
    const { uploadId } = res.json();
    const status = await settle(uploadId);
    expect(status).toMatchObject({ status: "done", progress: 1, faces: 2, error: null, fileName: "talk.mp4" });
    expect(status.durationS).toBeCloseTo(8, 0);
    const report = SessionReport.parse((await app.inject({ url: `/api/sessions/${s.id}/report`, headers: bearer(s) })).json());
    expect(report.listeners.map((l) => [l.name, l.kind, l.readings])).toEqual([["Face 1", "upload", 16], ["Face 2", "upload", 14]]);
    expect(report.session.durationMs).toBe(8000);
    const csv = (await app.inject({ url: `/api/sessions/${s.id}/export.csv`, headers: bearer(s) })).body.trimEnd().split("\n");
    expect(csv).toHaveLength(1 + 30);
    expect(csv.filter((l) => l.startsWith("Face 2,") && l.endsWith(",no_face")).map((l) => l.split(",")[1])).toEqual(["3500", "4000", "4500", "7000", "7500"]);
  }, 60_000);

  it("refuses what is not a recording, a missing field, a too-large file and a missing token", async () => {
    const s = await session();
    const text = await upload(s, Buffer.from("just some text, not a video"));
    expect(text.statusCode).toBe(415);
    expect(text.json().error.message).toContain("not an mp4, webm or mov video");
    expect((await upload(s, video, "file")).statusCode).toBe(400);
    const big = await upload(s, Buffer.concat([video, Buffer.alloc(5_000_000)]));
    expect(big.statusCode).toBe(413);
    const { payload, headers } = multipart("video", "talk.mp4", video);
    expect((await app.inject({ method: "POST", url: `/api/sessions/${s.id}/uploads`, payload, headers })).statusCode).toBe(401);
    expect((await app.inject(`/api/uploads/00000000-0000-0000-0000-000000000000`)).statusCode).toBe(404);
  });

  it("fails a truncated recording cleanly and keeps nothing of it", async () => {
    const s = await session();
    const res = await upload(s, video.subarray(0, 3000));
    expect(res.statusCode).toBe(202);
    const status = await settle(res.json().uploadId);
    expect(status.status).toBe("failed");
    expect(status.error).toMatch(/could not|no video stream|no frame|decode/i);
    expect(await db.listParticipants(s.id)).toEqual([]);
    expect(await db.countReadings(s.id)).toBe(0);
  });

  it("cancels an upload and keeps nothing of it", async () => {
    const s = await session();
    const { uploadId } = (await upload(s, video)).json();
    const del = await app.inject({ method: "DELETE", url: `/api/uploads/${uploadId}`, headers: bearer(s) });
    expect(del.statusCode).toBe(200);
    expect((await settle(uploadId)).status).toBe("cancelled");
    expect(await db.listParticipants(s.id)).toEqual([]);
    expect(await db.countReadings(s.id)).toBe(0);
    expect((await app.inject({ method: "DELETE", url: `/api/uploads/${uploadId}`, headers: bearer(s) })).statusCode).toBe(409);
  });
});
