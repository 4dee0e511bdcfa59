import { rm } from "node:fs/promises";
import type { Db } from "@emotion/db";
import { AppError, UPLOAD_INTERRUPTED, type UploadProgress } from "@emotion/protocol";
import type { Vision } from "@emotion/vision";
import { trackVideo, VideoError } from "@emotion/vision/video";
import type { FastifyBaseLogger } from "fastify";
import { UploadReadingsWriter } from "./upload.writer";

export interface UploadJobsOptions {
  db: Db;
  vision: () => Vision | null;
  fps: number;
  log: FastifyBaseLogger;
  /** This server's id in uploads.worker once it has one (see UploadFolder). */
  worker: () => string | null;
  /** Pushes progress to the session's speakers (socket event upload:progress). */
  notify: (sessionId: string, p: UploadProgress) => void;
}

export interface UploadJob {
  uploadId: string;
  sessionId: string;
  path: string;
  /** The request that uploaded it: failures are logged with it. */
  reqId: string;
}

interface Job extends UploadJob {
  abort: AbortController;
  /** Why it was aborted: a speaker's cancel, or the server stopping. */
  stop: "cancel" | "shutdown" | null;
  /** Set once the analysis is complete and being marked done: too late to cancel. */
  isFinishing: boolean;
}

const PROGRESS_WRITE_MS = 1000;
/** Readings the analysis hands over per batch: about 3 s of a 3-face recording, so a crash or cancel has little in flight. */
export const UPLOAD_BATCH_READINGS = 100;
const PROGRESS_NOTIFY_MS = 250;
/** How often this server marks its unfinished uploads as held (listInterruptedUploads' staleMs is 4x). */
export const UPLOAD_HEARTBEAT_MS = 30_000;

/** The sentence stored and shown for a failed analysis; the error itself (paths, ffmpeg output) goes to the log. */
export function describeFailure(err: unknown): string {
  if (err instanceof VideoError) return err.message;
  if (err instanceof AppError && err.code === "VALIDATION_FAILED") return "no face was found in the recording";
  return "the recording could not be analysed";
}

/**
 * Analyses uploaded recordings one at a time (live sessions keep the rest of the CPU), storing the
 * readings as the analysis goes (UploadReadingsWriter). A failed, cancelled or interrupted upload
 * is removed whole (deleteUploadResults) and its recording deleted. Never rejects: every failure
 * ends as a "failed" upload and a log line.
 */
export class UploadJobs {
  private readonly queue: Job[] = [];
  private running: Job | null = null;
  private idle: Promise<void> = Promise.resolve();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly o: UploadJobsOptions) {
    this.heartbeat = setInterval(() => this.touch(), UPLOAD_HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  private touch(): void {
    const worker = this.o.worker();
    if (worker) void this.o.db.touchUploads(worker).catch((err) => this.o.log.warn({ err }, "upload heartbeat failed"));
  }

  /** Recordings waiting (not counting the one being analysed). */
  get queued(): number {
    return this.queue.length;
  }

  enqueue(job: UploadJob): void {
    this.queue.push({ ...job, abort: new AbortController(), stop: null, isFinishing: false });
    if (!this.running) this.idle = this.drain();
  }

  /** Cancels a queued or running upload of this process: "finished" when it is too late, "absent" when it is not here. */
  cancel(uploadId: string): "cancelled" | "finished" | "absent" {
    const queued = this.queue.findIndex((j) => j.uploadId === uploadId);
    if (queued >= 0) {
      const [job] = this.queue.splice(queued, 1);
      void this.finish(job!, "cancelled", null);
      return "cancelled";
    }
    const running = this.running;
    if (running?.uploadId !== uploadId) return "absent";
    if (running.isFinishing) return "finished";
    running.stop = "cancel";
    running.abort.abort();
    return "cancelled";
  }

  /** Fails everything queued, stops the running job and waits for it (server shutdown). */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const j of this.queue.splice(0)) await this.finish(j, "failed", UPLOAD_INTERRUPTED);
    if (this.running && !this.running.isFinishing) {
      this.running.stop = "shutdown";
      this.running.abort.abort();
    }
    await this.idle;
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const job = this.queue.shift()!;
      this.running = job;
      try {
        await this.run(job);
      } catch (err) {
        // run handles its own failures; this is the last guard against an unhandled rejection
        this.o.log.error({ err, uploadId: job.uploadId, reqId: job.reqId }, "upload job failed unexpectedly");
        await this.finish(job, "failed", "the recording could not be analysed");
      } finally {
        this.running = null;
      }
    }
  }

  private async run(job: Job): Promise<void> {
    const { db, log } = this.o;
    const vision = this.o.vision();
    if (!vision) return this.finish(job, "failed", "the emotion model is not loaded on the server; upload again later");
    await db.updateUpload(job.uploadId, { status: "processing", progress: 0 });
    this.send(job, { status: "processing", progress: 0, faces: 0, error: null });
    const writer = new UploadReadingsWriter(db, { uploadId: job.uploadId, sessionId: job.sessionId, signal: job.abort.signal });
    let lastWrite = 0;
    let lastNotify = 0;
    let progressWrite: Promise<unknown> = Promise.resolve();
    try {
      const result = await trackVideo(vision, job.path, {
        fps: this.o.fps,
        signal: job.abort.signal,
        batchSize: UPLOAD_BATCH_READINGS,
        onReadings: (batch) => writer.write(batch),
        onProgress: ({ progress, faces }) => {
          const p = Math.min(0.99, progress);
          const now = Date.now();
          if (now - lastNotify >= PROGRESS_NOTIFY_MS) {
            lastNotify = now;
            this.send(job, { status: "processing", progress: p, faces, error: null });
          }
          if (now - lastWrite >= PROGRESS_WRITE_MS) {
            lastWrite = now;
            progressWrite = db
              .updateUpload(job.uploadId, { progress: p, faces })
              .catch((err) => log.warn({ err, uploadId: job.uploadId }, "upload progress not stored"));
          }
        },
      });
      job.abort.signal.throwIfAborted();
      job.isFinishing = true;
      await progressWrite; // so that a late progress write cannot land after "done"
      await rm(job.path, { force: true }); // before "done": a finished upload never has its recording on disk
      await db.updateUpload(job.uploadId, { status: "done", progress: 1, faces: result.faces.length, durationS: result.durationS, error: null });
      this.send(job, { status: "done", progress: 1, faces: result.faces.length, error: null });
      log.info(
        { uploadId: job.uploadId, reqId: job.reqId, faces: result.faces.length, tracks: result.tracks, frames: result.frames, rows: writer.rows },
        "upload analysed",
      );
    } catch (err) {
      if (job.stop === "cancel") return this.finish(job, "cancelled", null);
      if (job.stop === "shutdown") return this.finish(job, "failed", UPLOAD_INTERRUPTED);
      log.warn({ err, detail: err instanceof VideoError ? err.detail : undefined, uploadId: job.uploadId, reqId: job.reqId }, "upload analysis failed");
      return this.finish(job, "failed", describeFailure(err));
    }
  }

  /** Ends an upload that will not be done: recording deleted, what it stored removed, state recorded. Never throws. */
  private async finish(job: Job, status: "failed" | "cancelled", error: string | null): Promise<void> {
    const { db, log } = this.o;
    job.abort.abort();
    await rm(job.path, { force: true }).catch((err) => log.error({ err, uploadId: job.uploadId }, "an upload's recording could not be deleted"));
    await db.deleteUploadResults(job.uploadId).catch((err) => log.error({ err, uploadId: job.uploadId }, "an upload's readings could not be removed"));
    const row = await db.updateUpload(job.uploadId, { status, error }).catch((err) => {
      log.error({ err, uploadId: job.uploadId }, "an upload's state could not be stored");
      return null;
    });
    this.send(job, { status, progress: row?.progress ?? 0, faces: 0, error });
  }

  private send(job: Job, p: Omit<UploadProgress, "uploadId">): void {
    try {
      this.o.notify(job.sessionId, { uploadId: job.uploadId, ...p });
    } catch (err) {
      this.o.log.warn({ err, uploadId: job.uploadId }, "upload progress not sent");
    }
  }
}
