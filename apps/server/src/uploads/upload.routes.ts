import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, open, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import multipart from "@fastify/multipart";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { z } from "zod";
import { AppError, ErrorBody } from "@emotion/protocol";
import { authorizeSpeaker, bearerOf } from "../sessions";
import type { ZodTypeProvider } from "../http/zod";
import { speakersRoom } from "../live/types";
import { UploadJobs } from "./upload.jobs";

export const VIDEO_EXTENSIONS = ["mp4", "webm", "mov"];

/** mp4/mov carry "ftyp" at byte 4; webm (Matroska) starts with the EBML magic. */
export function sniffVideo(head: Uint8Array): "mp4" | "webm" | null {
  if (head.length >= 8 && head[4] === 0x66 && head[5] === 0x74 && head[6] === 0x79 && head[7] === 0x70) return "mp4";
  if (head.length >= 4 && head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return "webm";
  return null;
}

export const UploadStatus = z.object({
  uploadId: z.string(),
  sessionId: z.string(),
  status: z.enum(["queued", "processing", "done", "failed", "cancelled"]),
  progress: z.number(),
  faces: z.number(),
  error: z.string().nullable(),
  durationS: z.number().nullable(),
  fileName: z.string(),
});

const toStatus = (u: { id: string; sessionId: string; status: z.infer<typeof UploadStatus>["status"]; progress: number; faces: number; error: string | null; durationS: number | null; fileName: string }) => ({
  uploadId: u.id, sessionId: u.sessionId, status: u.status, progress: u.progress, faces: u.faces, error: u.error, durationS: u.durationS, fileName: u.fileName,
});

declare module "fastify" {
  interface FastifyInstance {
    uploads: UploadJobs;
  }
}

/** Issue 4 §3: upload a recording into a session, follow its analysis, cancel it. */
export const uploadRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<ZodTypeProvider>();
  const maxBytes = app.config.MAX_VIDEO_BYTES;
  const dir = resolve(app.config.DATA_DIR, "uploads"); // made on the first upload
  const jobs = new UploadJobs({
    db: app.db,
    vision: () => app.vision.current,
    fps: app.config.UPLOAD_FPS,
    log: app.log,
    notify: (sessionId, p) => app.live?.io.to(speakersRoom(sessionId)).emit("upload:progress", p),
  });
  app.decorate("uploads", jobs);
  app.addHook("onClose", () => jobs.close());
  await app.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 2, parts: 3 } });
  const speaker = (request: FastifyRequest, id: string) => authorizeSpeaker(app.db, id, bearerOf(request.headers.authorization));

  app.post("/api/sessions/:id/uploads", {
    bodyLimit: maxBytes + 64 * 1024,
    schema: {
      tags: ["uploads"],
      summary: "Upload a recording (mp4, webm or mov) to analyse into this session",
      description: `multipart/form-data with the file in the field "video", at most ${maxBytes} bytes. Answers 202 at once; follow GET /api/uploads/{uploadId} or the socket event upload:progress.`,
      consumes: ["multipart/form-data"],
      params: z.object({ id: z.string() }),
      security: [{ speakerToken: [] }],
      response: { 202: z.object({ uploadId: z.string() }), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 413: ErrorBody, 415: ErrorBody },
    },
  }, async (request, reply) => {
    const session = await speaker(request, request.params.id);
    if (!request.isMultipart()) throw new AppError("BAD_REQUEST", 'send the recording as multipart/form-data in the field "video"');
    const file = await request.file();
    if (!file) throw new AppError("BAD_REQUEST", 'the multipart field "video" is missing');
    if (file.fieldname !== "video") throw new AppError("BAD_REQUEST", `expected the file in the multipart field "video", got "${file.fieldname}"`);
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${randomUUID()}.upload`);
    try {
      await pipeline(file.file, createWriteStream(path));
      if (file.file.truncated) throw new AppError("PAYLOAD_TOO_LARGE", `the recording is larger than the limit of ${maxBytes} bytes`);
      const handle = await open(path, "r");
      const head = new Uint8Array(16);
      const { bytesRead } = await handle.read(head, 0, 16, 0);
      const size = (await handle.stat()).size;
      await handle.close();
      if (size === 0) throw new AppError("BAD_REQUEST", "the uploaded file is empty");
      if (!sniffVideo(head.subarray(0, bytesRead)))
        throw new AppError("UNSUPPORTED_MEDIA_TYPE", `${file.filename || "the file"} is not an mp4, webm or mov video`);
      const upload = await app.db.createUpload({ sessionId: session.id, fileName: file.filename || "recording", bytes: size });
      jobs.enqueue({ uploadId: upload.id, sessionId: session.id, path });
      return reply.status(202).send({ uploadId: upload.id });
    } catch (err) {
      await rm(path, { force: true });
      throw err;
    }
  });

  app.get("/api/uploads/:uploadId", {
    schema: { tags: ["uploads"], summary: "Status and progress of an upload's analysis", params: z.object({ uploadId: z.string() }), response: { 200: UploadStatus, 404: ErrorBody } },
  }, async (request) => {
    const upload = await app.db.getUpload(request.params.uploadId);
    if (!upload) throw new AppError("NOT_FOUND", `no upload ${request.params.uploadId}`);
    return toStatus(upload);
  });

  app.get("/api/sessions/:id/uploads", {
    schema: { tags: ["uploads"], summary: "A session's uploads", params: z.object({ id: z.string() }), security: [{ speakerToken: [] }], response: { 200: z.object({ uploads: z.array(UploadStatus) }), 401: ErrorBody, 403: ErrorBody, 404: ErrorBody } },
  }, async (request) => {
    const session = await speaker(request, request.params.id);
    return { uploads: (await app.db.listUploads(session.id)).map(toStatus) };
  });

  app.delete("/api/uploads/:uploadId", {
    schema: { tags: ["uploads"], summary: "Cancel an upload's analysis (nothing of it is kept)", params: z.object({ uploadId: z.string() }), security: [{ speakerToken: [] }], response: { 200: UploadStatus, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody } },
  }, async (request) => {
    const upload = await app.db.getUpload(request.params.uploadId);
    if (!upload) throw new AppError("NOT_FOUND", `no upload ${request.params.uploadId}`);
    await speaker(request, upload.sessionId);
    if (upload.status === "done" || upload.status === "failed" || upload.status === "cancelled")
      throw new AppError("SESSION_ENDED", `the upload is already ${upload.status}`, 409);
    if (!jobs.cancel(upload.id)) throw new AppError("BAD_REQUEST", "this upload is being analysed by another server instance; cancel it there");
    // the job records "cancelled" as it stops; answer with what is known now
    return toStatus({ ...upload, status: "cancelled" });
  });
};
