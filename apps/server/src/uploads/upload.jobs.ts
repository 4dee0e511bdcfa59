import { rm } from "node:fs/promises";
import { storeTrackedFaces, type Db } from "@emotion/db";
import { AppError } from "@emotion/protocol";
import type { Vision } from "@emotion/vision";
import { analyzeVideo, type VideoAnalysis } from "@emotion/vision/video";
import type { FastifyBaseLogger } from "fastify";

export interface UploadProgress {
  uploadId: string;
  status: "queued" | "processing" | "done" | "failed" | "cancelled";
  progress: number;
  faces: number;
  error: string | null;
}

export interface UploadJobsOptions {
  db: Db;
  vision: () => Vision | null;
  fps: number;
  log: FastifyBaseLogger;
  /** Pushes progress to the session's speakers (socket event upload:progress). */
  notify: (sessionId: string, p: UploadProgress) => void;
}

interface Job {
  uploadId: string;
  sessionId: string;
  path: string;
  abort: AbortController;
}

const PROGRESS_WRITE_MS = 1000;

/**
 * Analyses uploaded recordings one at a time (live sessions keep the rest of the CPU). Readings are
 * stored only when a recording is fully analysed, in one transaction with its participants, so a
 * failed or cancelled upload leaves nothing half-written in the session.
 */
export class UploadJobs {
  private readonly queue: Job[] = [];
  private running: Job | null = null;
  private idle: Promise<void> = Promise.resolve();

  constructor(private readonly o: UploadJobsOptions) {}

  enqueue(job: Omit<Job, "abort">): void {
    this.queue.push({ ...job, abort: new AbortController() });
    if (!this.running) this.idle = this.drain();
  }

  /** Cancels a queued or running upload of this process; false when it is not here. */
  cancel(uploadId: string): boolean {
    const queued = this.queue.findIndex((j) => j.uploadId === uploadId);
    if (queued >= 0) {
      const [job] = this.queue.splice(queued, 1);
      job!.abort.abort();
      void this.finish(job!, "cancelled", null);
      return true;
    }
    if (this.running?.uploadId === uploadId) {
      this.running.abort.abort();
      return true;
    }
    return false;
  }

  /** Cancels everything and waits for the running job to stop (server shutdown). */
  async close(): Promise<void> {
    for (const j of this.queue.splice(0)) {
      j.abort.abort();
      await this.finish(j, "failed", "the server stopped before this recording was analysed; upload it again");
    }
    this.running?.abort.abort();
    await this.idle;
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const job = this.queue.shift()!;
      this.running = job;
      try {
        await this.run(job);
      } finally {
        this.running = null;
      }
    }
  }

  private async run(job: Job): Promise<void> {
    const { db, log } = this.o;
    const vision = this.o.vision();
    if (!vision) return this.finish(job, "failed", "the model is not loaded");
    await db.updateUpload(job.uploadId, { status: "processing" });
    this.o.notify(job.sessionId, { uploadId: job.uploadId, status: "processing", progress: 0, faces: 0, error: null });
    let lastWrite = 0;
    let analysis: VideoAnalysis;
    try {
      analysis = await analyzeVideo(vision, job.path, {
        fps: this.o.fps,
        signal: job.abort.signal,
        onProgress: ({ progress, faces }) => {
          const p = Math.min(0.99, progress);
          this.o.notify(job.sessionId, { uploadId: job.uploadId, status: "processing", progress: p, faces, error: null });
          const now = Date.now();
          if (now - lastWrite >= PROGRESS_WRITE_MS) {
            lastWrite = now;
            void db.updateUpload(job.uploadId, { progress: p, faces }).catch(() => {});
          }
        },
      });
    } catch (err) {
      if (job.abort.signal.aborted) return this.finish(job, "cancelled", null);
      const message = err instanceof AppError ? err.message : `the recording could not be analysed: ${(err as Error).message}`;
      log.warn({ err, uploadId: job.uploadId }, "upload analysis failed");
      return this.finish(job, "failed", message);
    }
    if (job.abort.signal.aborted) return this.finish(job, "cancelled", null);
    try {
      const startedAt = Date.now();
      await db.transaction(async (tx) => {
        await storeTrackedFaces(tx, job.sessionId, analysis.faces, startedAt);
        await tx.updateUpload(job.uploadId, { status: "done", progress: 1, faces: analysis.faces.length, durationS: analysis.durationS, error: null });
      });
      this.o.notify(job.sessionId, { uploadId: job.uploadId, status: "done", progress: 1, faces: analysis.faces.length, error: null });
      log.info({ uploadId: job.uploadId, faces: analysis.faces.length, frames: analysis.frames }, "upload analysed");
    } catch (err) {
      log.error({ err, uploadId: job.uploadId }, "storing an analysed upload failed");
      await this.finish(job, "failed", "the readings could not be stored; nothing was kept, upload again");
      return;
    }
    await rm(job.path, { force: true });
  }

  private async finish(job: Job, status: "failed" | "cancelled", error: string | null): Promise<void> {
    await rm(job.path, { force: true }).catch(() => {});
    const row = await this.o.db.updateUpload(job.uploadId, { status, error }).catch(() => null);
    this.o.notify(job.sessionId, { uploadId: job.uploadId, status, progress: row?.progress ?? 0, faces: 0, error });
  }
}
