import { rm } from "node:fs/promises";
import type { Db, UploadRow } from "@emotion/db";
import { AppError, type UploadProgress } from "@emotion/protocol";
import type { Vision } from "@emotion/vision";
import { trackVideo, VideoError } from "@emotion/vision/video";
import type { FastifyBaseLogger } from "fastify";
import type { UploadScratch } from "./upload.scratch";
import { UploadReadingsWriter } from "./upload.writer";

/** Readings the analysis hands over per batch: about 3 s of a 3-face recording, so a crash or cancel has little in flight. */
export const UPLOAD_BATCH_READINGS = 100;
/** Lease renewal, progress write and cancel check of a running job: a cancel on any instance stops it within this. */
export const UPLOAD_HEARTBEAT_MS = 1000;
const PROGRESS_NOTIFY_MS = 250;

/** What a job needs of its instance. */
export interface UploadRunContext {
  db: Db;
  vision: () => Vision | null;
  fps: number;
  log: FastifyBaseLogger;
  notify: (sessionId: string, p: UploadProgress) => void;
  scratch: UploadScratch;
  /** This instance's id (uploads.worker of the jobs it runs). */
  worker: string;
  leaseMs: number;
}

/** Why a job stopped short: a speaker's cancel, this instance stopping, or its lease taken over by another instance. */
export type StopReason = "cancel" | "shutdown" | "lost";

/** The sentence stored and shown for a failed analysis; the error itself (paths, ffmpeg output) goes to the log. */
export function describeFailure(err: unknown): string {
  if (err instanceof VideoError) return err.message;
  if (err instanceof AppError && err.code === "VALIDATION_FAILED") return "no face was found in the recording";
  if (err instanceof AppError && err.code === "NOT_READY") return err.message;
  return "the recording could not be analysed";
}

/**
 * One claimed upload, analysed on this instance: its recording copied from the database to a scratch
 * file, tracked, its readings stored as they come (UploadReadingsWriter). Every UPLOAD_HEARTBEAT_MS it
 * renews its lease, stores its progress and learns of a cancel asked on any instance. A failed or
 * cancelled upload is removed whole; on shutdown it goes back to the queue for another instance.
 * Never rejects.
 */
export class UploadRun {
  private readonly abort = new AbortController();
  private stop: StopReason | null = null;
  private progress = { progress: 0, faces: 0 };
  private heartbeat: NodeJS.Timeout | null = null;
  private beat: Promise<void> = Promise.resolve();

  constructor(
    readonly upload: UploadRow,
    private readonly context: UploadRunContext,
  ) {}

  /** Stops the analysis (it ends as the reason says). */
  requestStop(reason: StopReason): void {
    this.stop ??= reason;
    this.abort.abort();
  }

  async run(): Promise<void> {
    const { upload, context } = this;
    const path = context.scratch.pathOf(upload.id);
    this.heartbeat = setInterval(() => (this.beat = this.renew()), UPLOAD_HEARTBEAT_MS);
    try {
      await this.analyse(path);
    } catch (err) {
      await this.end(err);
    } finally {
      clearInterval(this.heartbeat);
      await this.beat;
      await rm(path, { force: true }).catch((err) => context.log.error({ err, uploadId: upload.id }, "an upload's scratch copy could not be deleted"));
    }
  }

  private async analyse(path: string): Promise<void> {
    const { upload, context } = this;
    const { db, log } = context;
    // an earlier attempt (its instance died) may have stored part of the readings
    await db.deleteUploadResults(upload.id);
    this.send({ status: "processing", progress: 0, faces: 0, error: null });
    const vision = context.vision();
    if (!vision) throw new AppError("NOT_READY", "the emotion model is not loaded on the server; upload again later");
    const bytes = await context.scratch.copyRecording(db, upload.id, path, this.abort.signal);
    if (bytes === 0) throw new Error(`upload ${upload.id} has no recording stored`);
    const writer = new UploadReadingsWriter(db, { uploadId: upload.id, sessionId: upload.sessionId, signal: this.abort.signal });
    let lastNotify = 0;
    const result = await trackVideo(vision, path, {
      fps: context.fps,
      signal: this.abort.signal,
      batchSize: UPLOAD_BATCH_READINGS,
      onReadings: (batch) => writer.write(batch),
      onProgress: ({ progress, faces }) => {
        this.progress = { progress: Math.min(0.99, progress), faces };
        const now = Date.now();
        if (now - lastNotify < PROGRESS_NOTIFY_MS) return;
        lastNotify = now;
        this.send({ status: "processing", ...this.progress, error: null });
      },
    });
    this.abort.signal.throwIfAborted();
    clearInterval(this.heartbeat!);
    await this.beat; // so that a late progress write cannot land after "done"
    await rm(path, { force: true }); // before "done": a finished upload never has its recording on this disk
    const faces = result.faces.length;
    const done = await db.endUpload(upload.id, context.worker, { status: "done", progress: 1, faces, durationS: result.durationS, error: null });
    if (!done) return this.end(null); // a cancel came in at the last moment, or the job was taken over
    this.send({ status: "done", progress: 1, faces, error: null });
    log.info({ uploadId: upload.id, attempt: upload.attempts, faces, tracks: result.tracks, frames: result.frames, rows: writer.rows }, "upload analysed");
  }

  /** The heartbeat: lease, progress, and whether to stop. */
  private async renew(): Promise<void> {
    const { db, worker, leaseMs, log } = this.context;
    try {
      const renewal = await db.renewUploadLease(this.upload.id, worker, leaseMs, this.progress);
      if (!renewal) this.requestStop("lost");
      else if (renewal.isCancelRequested) this.requestStop("cancel");
    } catch (err) {
      log.warn({ err, uploadId: this.upload.id }, "upload lease not renewed");
    }
  }

  /** Ends a job that will not be done (failed, cancelled, given back). Never throws. */
  private async end(err: unknown): Promise<void> {
    const { upload, context } = this;
    const { db, log, worker, leaseMs } = context;
    this.abort.abort();
    try {
      const renewal = this.stop === "lost" ? null : await db.renewUploadLease(upload.id, worker, leaseMs);
      // lost: another instance holds the job now; what it stores is not this run's to remove
      if (!renewal) return void log.warn({ uploadId: upload.id }, "upload job taken over by another instance (its lease had run out)");
      await db.deleteUploadResults(upload.id);
      if (this.stop === "shutdown") {
        await db.releaseUpload(upload.id, worker);
        this.send({ status: "queued", progress: 0, faces: 0, error: null });
        return void log.info({ uploadId: upload.id }, "upload job given back to the queue (shutdown)");
      }
      const isCancelled = this.stop === "cancel" || renewal.isCancelRequested;
      if (!isCancelled) log.warn({ err, detail: err instanceof VideoError ? err.detail : undefined, uploadId: upload.id }, "upload analysis failed");
      const error = isCancelled ? null : describeFailure(err);
      const row = await db.endUpload(upload.id, worker, { status: isCancelled ? "cancelled" : "failed", error });
      this.send({ status: isCancelled ? "cancelled" : "failed", progress: row?.progress ?? this.progress.progress, faces: 0, error });
    } catch (failure) {
      // the lease runs out and another instance requeues or fails the job: never stuck
      log.error({ err: failure, uploadId: upload.id }, "an upload job could not be ended; its lease will run out");
    }
  }

  private send(p: Omit<UploadProgress, "uploadId">): void {
    try {
      this.context.notify(this.upload.sessionId, { uploadId: this.upload.id, ...p });
    } catch (err) {
      this.context.log.warn({ err, uploadId: this.upload.id }, "upload progress not sent");
    }
  }
}
