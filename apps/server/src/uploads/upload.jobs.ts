import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { UploadRow } from "@emotion/db";
import { UPLOAD_INTERRUPTED } from "@emotion/protocol";
import { UploadRun, type UploadRunContext } from "./upload.run";
import type { UploadScratch } from "./upload.scratch";

/** How often an instance looks for waiting jobs and for jobs whose instance died (also right after an upload it received). */
export const UPLOAD_POLL_MS = 1000;

export interface UploadJobsOptions extends Omit<UploadRunContext, "worker" | "scratch"> {
  scratch: UploadScratch;
  /** UPLOAD_CONCURRENCY: jobs this instance runs at once (0: it never analyses, only receives and reaps). */
  concurrency: number;
  /** MAX_UPLOAD_ATTEMPTS: claims after which a job whose instance died is failed "interrupted". */
  maxAttempts: number;
  /** INSTANCE_ID, when set: the start of this instance's worker id (default: host name and process id). */
  instanceId?: string;
  /** Default UPLOAD_POLL_MS. */
  pollMs?: number;
}

/** What cancel found: cancelled now (it was waiting), asked of the instance analysing it, or already ended; with the row as it is. */
export type Cancellation = { outcome: "cancelled" | "requested" | "finished"; upload: UploadRow };

/**
 * This instance's share of the upload queue in the database, which all instances share: it claims
 * waiting jobs up to UPLOAD_CONCURRENCY (live sessions keep the rest of the CPU) and runs them
 * (UploadRun), and it requeues or fails the jobs of instances that died (expired leases), so no job is
 * ever left processing. Cancels and progress go through the row, so they work from any instance.
 */
export class UploadJobs {
  /** This instance's id in uploads.worker (a suffix of its own: two apps in one process are two instances). */
  readonly worker: string;
  private readonly running = new Map<string, { run: UploadRun; done: Promise<void> }>();
  private timer: NodeJS.Timeout | null = null;
  private pass: Promise<void> | null = null;
  private isClosed = false;
  /** A recording was deleted since the last pass: on PGlite its space is reclaimed at the next one. */
  private hasDeletedRecording = false;

  constructor(private readonly options: UploadJobsOptions) {
    this.worker = `${options.instanceId ?? `${hostname()}:${process.pid}`}:${randomUUID().slice(0, 8)}`;
  }

  /** Jobs this instance is analysing now. */
  get active(): number {
    return this.running.size;
  }

  /** Starts looking for jobs (every pollMs). */
  start(): void {
    if (this.timer || this.isClosed) return;
    this.timer = setInterval(() => void this.poll(), this.options.pollMs ?? UPLOAD_POLL_MS);
    this.timer.unref();
    void this.poll();
  }

  /**
   * Reaps and claims now (after an upload this instance received); resolves once the claims are made,
   * not when the jobs end. A pass already under way is waited for, then one more runs.
   */
  async poll(): Promise<void> {
    while (this.pass) await this.pass;
    if (this.isClosed) return;
    this.pass = this.reapAndClaim().finally(() => (this.pass = null));
    return this.pass;
  }

  /** Tells the queue a recording was deleted (a job ended, a transfer was refused). */
  noteDeletedRecording(): void {
    this.hasDeletedRecording = true;
  }

  private async reapAndClaim(): Promise<void> {
    const { db, log } = this.options;
    try {
      if (this.hasDeletedRecording && db.driver === "pglite") {
        this.hasDeletedRecording = false;
        await db.reclaimUploadSpace();
      }
      for (const row of await db.takeExpiredUploads(this.worker, this.options.leaseMs)) await this.takeOver(row);
      while (!this.isClosed && this.running.size < this.options.concurrency) {
        const row = await db.claimUpload(this.worker, this.options.leaseMs);
        if (!row) break;
        this.launch(row);
      }
    } catch (err) {
      log.warn({ err }, "upload queue not polled (database unavailable?); trying again");
    }
  }

  /**
   * A job whose instance stopped renewing its lease (it died), now held by this one: what that run stored
   * is removed, then the job is requeued, or failed "interrupted" after MAX_UPLOAD_ATTEMPTS claims (a
   * recording that kills its instance does not kill them all), or cancelled when a cancel was asked.
   */
  private async takeOver(row: UploadRow): Promise<void> {
    const { db, log, notify, maxAttempts } = this.options;
    await db.deleteUploadResults(row.id);
    const isCancelled = row.cancelRequestedAt !== null;
    const isRetried = !isCancelled && row.receivedAt !== null && row.attempts < maxAttempts;
    const error = isCancelled || isRetried ? null : UPLOAD_INTERRUPTED;
    const after = isRetried
      ? await db.requeueUpload(row.id, this.worker)
      : await db.endUpload(row.id, this.worker, { status: isCancelled ? "cancelled" : "failed", faces: 0, error });
    if (!after) return;
    if (after.status !== "queued") this.noteDeletedRecording();
    log.warn(
      { uploadId: row.id, status: after.status, attempts: row.attempts },
      "upload job of an instance that stopped renewing its lease: requeued or ended",
    );
    try {
      notify(row.sessionId, { uploadId: row.id, status: after.status, progress: after.progress, faces: 0, error });
    } catch (err) {
      log.warn({ err, uploadId: row.id }, "upload progress not sent");
    }
  }

  private launch(row: UploadRow): void {
    const run = new UploadRun(row, { ...this.options, worker: this.worker });
    const done = run
      .run()
      .catch((err) => this.options.log.error({ err, uploadId: row.id }, "upload job failed unexpectedly"))
      .finally(() => {
        this.running.delete(row.id);
        this.noteDeletedRecording();
        if (!this.isClosed) void this.poll(); // a slot is free
      });
    this.running.set(row.id, { run, done });
  }

  /**
   * Cancels an upload on whichever instance has it: a waiting one at once (its recording deleted), a
   * running one at its instance's next heartbeat (here: now). Null when there is no such upload.
   */
  async cancel(uploadId: string): Promise<Cancellation | null> {
    const { db, notify } = this.options;
    const found = await db.cancelUpload(uploadId);
    if (!found) return null;
    const { outcome, upload } = found;
    if (outcome === "cancelled") {
      this.noteDeletedRecording();
      await db.deleteUploadResults(uploadId); // of an earlier attempt, if any
      notify(upload.sessionId, { uploadId, status: "cancelled", progress: upload.progress, faces: 0, error: null });
    }
    if (outcome === "requested") this.running.get(uploadId)?.run.requestStop("cancel");
    return found;
  }

  /** Stops claiming, gives the running jobs back to the queue (another instance, or this one after a restart, runs them) and waits for that. */
  async close(): Promise<void> {
    this.isClosed = true;
    if (this.timer) clearInterval(this.timer);
    await this.pass;
    for (const { run } of this.running.values()) run.requestStop("shutdown");
    await Promise.all([...this.running.values()].map((r) => r.done));
  }
}
