import { resolve } from "node:path";
import multipart from "@fastify/multipart";
import type { UploadRow } from "@emotion/db";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { AppError, ErrorBody, isUploadFinished, UploadPublicView, UploadView } from "@emotion/protocol";
import { authorizeSpeaker, bearerOf, requireSpeaker, speakerSessionOf } from "../sessions";
import type { ZodTypeProvider } from "../http/zod";
import { UploadJobs } from "./upload.jobs";
import { admitUpload, checkQueue, queueFullError, type UploadLimits } from "./upload.quota";
import { receiveRecording } from "./upload.receive";
import { UploadScratch } from "./upload.scratch";

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
 * Upload a recording into a session, follow its analysis, cancel it. Recordings wait in the database
 * (upload_chunks) as jobs that every instance shares; at registration this instance finishes clean-ups
 * a crash interrupted, then starts taking jobs.
 */
export const uploadRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<ZodTypeProvider>();
  const config = app.config;
  const scratch = new UploadScratch(resolve(config.DATA_DIR, "uploads"));
  const strays = await scratch.deleteStrays();
  const leftovers = await app.db.clearUploadLeftovers();
  if (strays || leftovers.length) app.log.warn({ strays, leftovers }, "interrupted clean-ups finished: scratch copies and ended uploads' recordings deleted");
  const jobs = new UploadJobs({
    db: app.db,
    vision: () => app.vision.current,
    fps: config.UPLOAD_FPS,
    log: app.log,
    notify: (sessionId, p) => app.live.broadcastUploadProgress(sessionId, p),
    scratch,
    concurrency: config.UPLOAD_CONCURRENCY,
    maxAttempts: config.MAX_UPLOAD_ATTEMPTS,
    leaseMs: config.UPLOAD_LEASE_MS,
    instanceId: config.INSTANCE_ID,
  });
  app.decorate("uploads", jobs);
  app.addHook("onClose", () => jobs.close());
  const limits: UploadLimits = { maxQueued: config.MAX_QUEUED_UPLOADS, quotaBytes: config.UPLOAD_DISK_QUOTA_BYTES };
  await app.register(uploadRoutesOfSession, { jobs, limits });
  await app.register(uploadRoutesById, { jobs, limits });
  jobs.start();
};

// Not encapsulated (what fastify-plugin does): `app.uploads` is visible on the app, as declared above.
(uploadRoutes as unknown as Record<symbol, boolean>)[Symbol.for("skip-override")] = true;

interface UploadContext {
  jobs: UploadJobs;
  limits: UploadLimits;
}

/** /api/sessions/:id/uploads: every route needs the session's speaker token (one hook, before the body is read). */
const uploadRoutesOfSession: FastifyPluginAsync<UploadContext> = async (base, { jobs, limits }) => {
  const app = base.withTypeProvider<ZodTypeProvider>();
  const maxBytes = app.config.MAX_VIDEO_BYTES;
  const maxQueued = limits.maxQueued;
  const leaseMs = app.config.UPLOAD_LEASE_MS;
  app.addHook("onRequest", requireSpeaker());
  await app.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 2, parts: 3 } });

  /** 429 and 507 tell the client when to come back. */
  const withRetryAfter = async <T>(reply: FastifyReply, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof AppError && (err.status === 429 || err.status === 507)) reply.header("retry-after", String(RETRY_AFTER_S));
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
        description: `multipart/form-data with the file in the field "video", at most ${maxBytes} bytes. Answers 202 once the recording is stored; follow GET /api/uploads/{uploadId} or the socket event upload:progress. 429 when ${maxQueued} recordings already wait (MAX_QUEUED_UPLOADS); 507 when the space for waiting recordings is full (UPLOAD_DISK_QUOTA_BYTES).`,
        consumes: ["multipart/form-data"],
        params: z.object({ id: z.string() }),
        security: auth,
        response: {
          202: z.object({ uploadId: z.string() }),
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
          413: ErrorBody,
          415: ErrorBody,
          429: ErrorBody,
          507: ErrorBody,
        },
      },
    },
    (request, reply) =>
      withRetryAfter(reply, async () => {
        const session = speakerSessionOf(request);
        await checkQueue(app.db, limits);
        if (!request.isMultipart()) throw new AppError("BAD_REQUEST", 'send the recording as multipart/form-data in the field "video"');
        const declared = Number(request.headers["content-length"]);
        const reserved = Number.isFinite(declared) && declared > 0 ? Math.min(declared, maxBytes + 64 * 1024) : maxBytes;
        const file = await request.file();
        if (!file) throw new AppError("BAD_REQUEST", 'the multipart field "video" is missing');
        if (file.fieldname !== "video") throw new AppError("BAD_REQUEST", `expected the file in the multipart field "video", got "${file.fieldname}"`);
        const upload = await admitUpload(app.db, { sessionId: session.id, fileName: file.filename || "recording", bytes: reserved, leaseMs }, limits);
        try {
          const received = await receiveRecording(app.db, { id: upload.id, leaseMs }, file.file, (head) => sniffVideo(head) !== null);
          if (file.file.truncated) throw new AppError("PAYLOAD_TOO_LARGE", `the recording is larger than the limit of ${maxBytes} bytes`);
          if (received.bytes === 0) throw new AppError("BAD_REQUEST", "the uploaded file is empty");
          if (received.isRefused) throw new AppError("UNSUPPORTED_MEDIA_TYPE", `${file.filename || "the file"} is not an mp4, webm or mov video`);
          const outcome = await app.db.markUploadReceived(upload.id, received.bytes, maxQueued);
          if (outcome === "full") throw queueFullError(await app.db.countWaitingUploads(), maxQueued);
          if (outcome === "gone") throw new AppError("CONFLICT", "the upload was cancelled (or given up as stalled) while it was being received");
        } catch (err) {
          // a refused or broken-off transfer leaves nothing behind; a cancelled one keeps its row, not its recording
          const row = await app.db.getUpload(upload.id);
          if (row && isUploadFinished(row.status)) await app.db.deleteUploadChunks(upload.id);
          else await app.db.deleteUpload(upload.id);
          jobs.noteDeletedRecording();
          throw err;
        }
        await jobs.poll(); // claimed at once when this instance has a free slot
        return reply.status(202).send({ uploadId: upload.id });
      }),
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
const uploadRoutesById: FastifyPluginAsync<UploadContext> = async (base, { jobs }) => {
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
        description:
          "Works from any server instance: a waiting upload is cancelled at once, one being analysed stops within about a second and keeps nothing. 409 CONFLICT when the upload is already done, failed or cancelled.",
        params: UploadParams,
        security: auth,
        response: { 200: UploadView, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (request) => {
      const upload = await uploadOf(request);
      if (isUploadFinished(upload.status)) throw new AppError("CONFLICT", `the upload is already ${upload.status}`);
      const cancellation = await jobs.cancel(upload.id);
      if (!cancellation) throw new AppError("NOT_FOUND", `no upload ${upload.id}`);
      if (cancellation.outcome === "finished") throw new AppError("CONFLICT", `the upload is already ${cancellation.upload.status}`);
      // the job records "cancelled" as it stops; answer with what is known now
      return toView({ ...upload, status: "cancelled" });
    },
  );
};
