import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import multipart from "@fastify/multipart";
import type { UploadRow } from "@emotion/db";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { AppError, ErrorBody, isUploadFinished, UploadPublicView, UploadView } from "@emotion/protocol";
import { authorizeSpeaker, bearerOf, requireSpeaker, speakerSessionOf } from "../sessions";
import type { ZodTypeProvider } from "../http/zod";
import { UploadJobs } from "./upload.jobs";
import { UploadDiskQuota } from "./upload.quota";
import { sweepInterruptedUploads, UploadFolder } from "./upload.sweep";

export const VIDEO_EXTENSIONS = ["mp4", "webm", "mov"];

/** mp4/mov carry "ftyp" at byte 4; webm (Matroska) starts with the EBML magic. */
export function sniffVideo(head: Uint8Array): "mp4" | "webm" | null {
  if (head.length >= 8 && head[4] === 0x66 && head[5] === 0x74 && head[6] === 0x79 && head[7] === 0x70) return "mp4";
  if (head.length >= 4 && head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return "webm";
  return null;
}

const toView = (u: UploadRow): UploadView => ({
  uploadId: u.id,
  sessionId: u.sessionId,
  status: u.status,
  progress: u.progress,
  faces: u.faces,
  error: u.error,
  durationS: u.durationS,
  fileName: u.fileName,
});
const toPublicView = (u: UploadRow): UploadPublicView => ({ uploadId: u.id, status: u.status, progress: u.progress });

const UploadParams = z.object({ uploadId: z.string() });
const auth = [{ speakerToken: [] }];
/** Retry-After of a 429 (queue full) or 507 (disk full): about one recording's analysis. */
const RETRY_AFTER_S = 60;

declare module "fastify" {
  interface FastifyInstance {
    uploads: UploadJobs;
  }
}

/**
 * Upload a recording into a session, follow its analysis, cancel it. At registration,
 * before any upload is accepted, the uploads interrupted by a previous crash are swept.
 */
export const uploadRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<ZodTypeProvider>();
  const folder = new UploadFolder(resolve(app.config.DATA_DIR, "uploads")); // made on the first upload
  await sweepInterruptedUploads(app.db, folder, app.log);
  const jobs = new UploadJobs({
    db: app.db,
    vision: () => app.vision.current,
    fps: app.config.UPLOAD_FPS,
    log: app.log,
    worker: () => folder.workerId,
    notify: (sessionId, p) => app.live.broadcastUploadProgress(sessionId, p),
  });
  app.decorate("uploads", jobs);
  app.addHook("onClose", async () => {
    await jobs.close();
    await folder.unlock();
  });
  const context = { folder, jobs, quota: new UploadDiskQuota(folder.dir, app.config.UPLOAD_DISK_QUOTA_BYTES) };
  await app.register(uploadRoutesOfSession, context);
  await app.register(uploadRoutesById, context);
};

// Not encapsulated (what fastify-plugin does): `app.uploads` is visible on the app, as declared above.
(uploadRoutes as unknown as Record<symbol, boolean>)[Symbol.for("skip-override")] = true;

interface UploadContext {
  folder: UploadFolder;
  jobs: UploadJobs;
  quota: UploadDiskQuota;
}

/** /api/sessions/:id/uploads: every route needs the session's speaker token (one hook, before the body is read). */
const uploadRoutesOfSession: FastifyPluginAsync<UploadContext> = async (base, { folder, jobs, quota }) => {
  const app = base.withTypeProvider<ZodTypeProvider>();
  const maxBytes = app.config.MAX_VIDEO_BYTES;
  const maxQueued = app.config.MAX_QUEUED_UPLOADS;
  app.addHook("onRequest", requireSpeaker());
  await app.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 2, parts: 3 } });

  /** The queue limit, checked before the transfer and again before enqueueing (others may have come in meanwhile). */
  const checkQueue = (reply: FastifyReply) => {
    if (jobs.queued < maxQueued) return;
    reply.header("retry-after", String(RETRY_AFTER_S));
    throw new AppError(
      "RATE_LIMITED",
      `the server already has ${jobs.queued} recordings waiting to be analysed, its limit (MAX_QUEUED_UPLOADS=${maxQueued}); try again once one is done`,
    );
  };
  const reserveDisk = async (reply: FastifyReply, bytes: number) => {
    try {
      return await quota.reserve(bytes);
    } catch (err) {
      if (err instanceof AppError && err.status === 507) reply.header("retry-after", String(RETRY_AFTER_S));
      throw err;
    }
  };

  app.post(
    "/api/sessions/:id/uploads",
    {
      bodyLimit: maxBytes + 64 * 1024,
      schema: {
        tags: ["uploads"],
        summary: "Upload a recording (mp4, webm or mov) to analyse into this session",
        description: `multipart/form-data with the file in the field "video", at most ${maxBytes} bytes. Answers 202 at once; follow GET /api/uploads/{uploadId} or the socket event upload:progress. 429 when ${maxQueued} recordings already wait (MAX_QUEUED_UPLOADS); 507 when DATA_DIR/uploads has no room (UPLOAD_DISK_QUOTA_BYTES).`,
        consumes: ["multipart/form-data"],
        params: z.object({ id: z.string() }),
        security: auth,
        response: {
          202: z.object({ uploadId: z.string() }),
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          413: ErrorBody,
          415: ErrorBody,
          429: ErrorBody,
          507: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const session = speakerSessionOf(request);
      checkQueue(reply);
      if (!request.isMultipart()) throw new AppError("BAD_REQUEST", 'send the recording as multipart/form-data in the field "video"');
      const declared = Number(request.headers["content-length"]);
      const worker = await folder.prepare();
      const release = await reserveDisk(reply, Number.isFinite(declared) && declared > 0 ? Math.min(declared, maxBytes + 64 * 1024) : maxBytes);
      const part = join(folder.dir, `${randomUUID()}.part`);
      try {
        const file = await request.file();
        if (!file) throw new AppError("BAD_REQUEST", 'the multipart field "video" is missing');
        if (file.fieldname !== "video") throw new AppError("BAD_REQUEST", `expected the file in the multipart field "video", got "${file.fieldname}"`);
        await pipeline(file.file, createWriteStream(part));
        if (file.file.truncated) throw new AppError("PAYLOAD_TOO_LARGE", `the recording is larger than the limit of ${maxBytes} bytes`);
        const handle = await open(part, "r");
        const head = new Uint8Array(16);
        const { bytesRead } = await handle.read(head, 0, 16, 0);
        const size = (await handle.stat()).size;
        await handle.close();
        if (size === 0) throw new AppError("BAD_REQUEST", "the uploaded file is empty");
        if (!sniffVideo(head.subarray(0, bytesRead)))
          throw new AppError("UNSUPPORTED_MEDIA_TYPE", `${file.filename || "the file"} is not an mp4, webm or mov video`);
        checkQueue(reply);
        const upload = await app.db.createUpload({ sessionId: session.id, fileName: file.filename || "recording", bytes: size, worker });
        const path = join(folder.dir, `${upload.id}.upload`);
        await rename(part, path);
        jobs.enqueue({ uploadId: upload.id, sessionId: session.id, path, reqId: request.id });
        return reply.status(202).send({ uploadId: upload.id });
      } finally {
        release();
        await rm(part, { force: true });
      }
    },
  );

  app.get(
    "/api/sessions/:id/uploads",
    {
      schema: {
        tags: ["uploads"],
        summary: "A session's uploads",
        params: z.object({ id: z.string() }),
        security: auth,
        response: { 200: z.object({ uploads: z.array(UploadView) }), 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => ({ uploads: (await app.db.listUploads(speakerSessionOf(request).id)).map(toView) }),
  );
};

/** /api/uploads/:uploadId: anyone with the id sees how far it is; its session's speaker sees and cancels it. */
const uploadRoutesById: FastifyPluginAsync<UploadContext> = async (base, { folder, jobs }) => {
  const app = base.withTypeProvider<ZodTypeProvider>();
  const uploadOf = async (request: FastifyRequest) => {
    const { uploadId } = request.params as { uploadId: string };
    const upload = await app.db.getUpload(uploadId);
    if (!upload) throw new AppError("NOT_FOUND", `no upload ${uploadId}`);
    return upload;
  };

  app.get(
    "/api/uploads/:uploadId",
    {
      schema: {
        tags: ["uploads"],
        summary: "Status and progress of an upload's analysis",
        description:
          "Without a token: uploadId, status and progress only. With its session's speaker token (Authorization: Bearer): also the session, file name, faces found, duration and error. A wrong token is 403.",
        params: UploadParams,
        security: [{}, ...auth],
        response: { 200: z.union([UploadView, UploadPublicView]), 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const upload = await uploadOf(request);
      const token = bearerOf(request.headers.authorization);
      if (!token) return toPublicView(upload);
      await authorizeSpeaker(app.db, upload.sessionId, token);
      return toView(upload);
    },
  );

  app.delete(
    "/api/uploads/:uploadId",
    {
      onRequest: requireSpeaker(async (request) => (await uploadOf(request)).sessionId),
      schema: {
        tags: ["uploads"],
        summary: "Cancel an upload's analysis (nothing of it is kept)",
        description: "409 CONFLICT when the upload is already done, failed or cancelled, or is analysed by another server instance.",
        params: UploadParams,
        security: auth,
        response: { 200: UploadView, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (request) => {
      const upload = await uploadOf(request);
      if (isUploadFinished(upload.status)) throw new AppError("CONFLICT", `the upload is already ${upload.status}`);
      const outcome = jobs.cancel(upload.id);
      if (outcome === "finished") throw new AppError("CONFLICT", "the upload is already done");
      if (outcome === "absent") {
        if (upload.worker && upload.worker !== folder.workerId)
          throw new AppError("CONFLICT", "this upload is being analysed by another server instance; cancel it there");
        // unfinished, ours, yet not in this process: cannot happen after the start-up sweep, but never leave it stuck
        await app.db.deleteUploadResults(upload.id);
        await app.db.updateUpload(upload.id, { status: "cancelled", error: null });
      }
      // the job records "cancelled" as it stops; answer with what is known now
      return toView({ ...upload, status: "cancelled" });
    },
  );
};
