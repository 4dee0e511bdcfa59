import { and, eq, inArray, isNotNull, isNull, lt, sql } from "drizzle-orm";
import { uploadChunks, uploads, UUID, type Database } from "./schema";
import type { UploadRow } from "./uploads";

/** Any fixed number: admissions (quota and queue checks with their insert) take turns on it, across instances. */
const ADMISSION_LOCK = 727_411_002;

const later = (ms: number) => sql`now() + ${`${Math.max(0, Math.round(ms))} milliseconds`}::interval`;
/** Unfinished: the recording is (being) stored in upload_chunks. */
const holdsRecording = () => inArray(uploads.status, ["queued", "processing"]);
const isWaiting = () => and(eq(uploads.status, "queued"), isNotNull(uploads.receivedAt));

export type Admission = { upload: UploadRow } | { usedBytes: number };
export type Received = "received" | "full" | "gone";
/** What a renewal found: the job still this instance's (and whether a cancel was asked), or lost. */
export type Renewal = { isCancelRequested: boolean } | null;

/**
 * Uploads as jobs that every instance shares (migration 0006). The uploads row is the job: claimed with
 * FOR UPDATE SKIP LOCKED, held by a lease its instance renews, requeued or failed by any instance once
 * the lease has run out. The recording waits in upload_chunks.
 */
export interface UploadJobsRepository {
  /** Waiting uploads (received, queued), all instances together. */
  countWaitingUploads(): Promise<number>;
  /**
   * Creates an upload about to be received, its `bytes` counted against `quotaBytes` together with every
   * unfinished upload's; answers the bytes in use instead when it does not fit. Its lease is `leaseMs`.
   */
  admitUpload(input: { sessionId: string; fileName: string; bytes: number; quotaBytes: number; leaseMs: number }): Promise<Admission>;
  /** Extends the lease of an upload still being received. */
  renewTransfer(uploadId: string, leaseMs: number): Promise<void>;
  appendUploadChunk(uploadId: string, n: number, data: Buffer): Promise<void>;
  /** Marks the recording complete (`bytes` long): "full" when `maxWaiting` uploads already wait, "gone" when cancelled meanwhile. */
  markUploadReceived(uploadId: string, bytes: number, maxWaiting: number): Promise<Received>;
  /** Piece `n` of the recording, null past the last one. */
  readUploadChunk(uploadId: string, n: number): Promise<Buffer | null>;
  /** Removes an upload and its recording (a transfer refused or broken off). */
  deleteUpload(uploadId: string): Promise<void>;
  deleteUploadChunks(uploadId: string): Promise<void>;
  /** Takes the oldest waiting upload for `worker`: processing, leased for `leaseMs`, attempts + 1. Null when none waits. */
  claimUpload(worker: string, leaseMs: number): Promise<UploadRow | null>;
  /** Renews `worker`'s lease and stores its progress; null when the job is no longer its own (requeued, failed). */
  renewUploadLease(uploadId: string, worker: string, leaseMs: number, progress?: { progress: number; faces: number }): Promise<Renewal>;
  /**
   * Ends `worker`'s job in one transaction: the row gets `patch` and the recording is deleted. A "done" is
   * refused (null) once a cancel was asked. Null too when the job is no longer `worker`'s.
   */
  endUpload(
    uploadId: string,
    worker: string,
    patch: Partial<Pick<UploadRow, "progress" | "faces" | "error" | "durationS">> & { status: "done" | "failed" | "cancelled" },
  ): Promise<UploadRow | null>;
  /** Gives `worker`'s job back to the queue (shutdown), the attempt not counted. */
  releaseUpload(uploadId: string, worker: string): Promise<UploadRow | null>;
  /**
   * Cancels a queued upload at once ("cancelled", its recording deleted) or asks the instance analysing it
   * to stop ("requested"); "finished" when it already ended. Null when there is no such upload.
   */
  cancelUpload(uploadId: string): Promise<{ outcome: "cancelled" | "requested" | "finished"; upload: UploadRow } | null>;
  /**
   * Takes over, for `worker` (leased `leaseMs`), the unfinished uploads whose instance stopped renewing its
   * lease (it died). Each is then ended (endUpload) or requeued (requeueUpload) by the caller; should the
   * caller die too, its own lease runs out and another instance takes them over again.
   */
  takeExpiredUploads(worker: string, leaseMs: number): Promise<UploadRow[]>;
  /**
   * Makes the space of deleted recordings reusable and gives back what is free at the end of the table
   * (VACUUM). Postgres's autovacuum does this on its own; embedded PGlite has none.
   */
  reclaimUploadSpace(): Promise<void>;
  /** Puts `worker`'s job back in the queue for another attempt. */
  requeueUpload(uploadId: string, worker: string): Promise<UploadRow | null>;
}

export function createUploadJobsRepository(db: Database): UploadJobsRepository {
  const deleteChunks = (tx: Database, uploadId: string) => tx.delete(uploadChunks).where(eq(uploadChunks.uploadId, uploadId));
  const countWaiting = async (tx: Database) =>
    (
      await tx
        .select({ n: sql<number>`count(*)`.mapWith(Number) })
        .from(uploads)
        .where(isWaiting())
    )[0]!.n;
  const admit = <T>(fn: (tx: Database) => Promise<T>) =>
    db.transaction(async (tx) => {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${ADMISSION_LOCK})`);
      return fn(tx as unknown as Database);
    });

  return {
    countWaitingUploads: () => countWaiting(db),

    admitUpload: ({ sessionId, fileName, bytes, quotaBytes, leaseMs }) =>
      admit(async (tx) => {
        const [{ used }] = (await tx
          .select({ used: sql<number>`coalesce(sum(${uploads.bytes}), 0)`.mapWith(Number) })
          .from(uploads)
          .where(holdsRecording())) as [{ used: number }];
        if (used + bytes > quotaBytes) return { usedBytes: used };
        const [upload] = await tx
          .insert(uploads)
          .values({ sessionId, fileName, bytes, leaseUntil: later(leaseMs) })
          .returning();
        return { upload: upload! };
      }),

    async renewTransfer(uploadId, leaseMs) {
      await db
        .update(uploads)
        .set({ leaseUntil: later(leaseMs) })
        .where(and(eq(uploads.id, uploadId), eq(uploads.status, "queued"), isNull(uploads.receivedAt)));
    },

    async appendUploadChunk(uploadId, n, data) {
      // as hex text, decoded by the database: PGlite's own bytea encoding (in JavaScript, byte by byte) runs at ~2 MB/s
      await db.insert(uploadChunks).values({ uploadId, n, data: sql`decode(${data.toString("hex")}, 'hex')` });
    },

    markUploadReceived: (uploadId, bytes, maxWaiting) =>
      admit(async (tx) => {
        if ((await countWaiting(tx)) >= maxWaiting) return "full";
        const [row] = await tx
          .update(uploads)
          .set({ receivedAt: sql`now()`, bytes, leaseUntil: null, updatedAt: sql`now()` })
          .where(and(eq(uploads.id, uploadId), eq(uploads.status, "queued"), isNull(uploads.receivedAt)))
          .returning({ id: uploads.id });
        return row ? "received" : "gone";
      }),

    async readUploadChunk(uploadId, n) {
      const [row] = await db
        .select({ hex: sql<string>`encode(${uploadChunks.data}, 'hex')` })
        .from(uploadChunks)
        .where(and(eq(uploadChunks.uploadId, uploadId), eq(uploadChunks.n, n)));
      return row ? Buffer.from(row.hex, "hex") : null;
    },

    async deleteUpload(uploadId) {
      await db.delete(uploads).where(eq(uploads.id, uploadId));
    },

    async deleteUploadChunks(uploadId) {
      await deleteChunks(db, uploadId);
    },

    async claimUpload(worker, leaseMs) {
      const oldest = sql`(SELECT id FROM uploads WHERE status = 'queued' AND received_at IS NOT NULL ORDER BY created_at FOR UPDATE SKIP LOCKED LIMIT 1)`;
      const [row] = await db
        .update(uploads)
        .set({ status: "processing", worker, leaseUntil: later(leaseMs), attempts: sql`${uploads.attempts} + 1`, progress: 0, faces: 0, updatedAt: sql`now()` })
        .where(eq(uploads.id, oldest))
        .returning();
      return row ?? null;
    },

    async renewUploadLease(uploadId, worker, leaseMs, progress) {
      const [row] = await db
        .update(uploads)
        .set({ leaseUntil: later(leaseMs), ...progress, updatedAt: sql`now()` })
        .where(and(eq(uploads.id, uploadId), eq(uploads.worker, worker), eq(uploads.status, "processing")))
        .returning({ cancelRequestedAt: uploads.cancelRequestedAt });
      return row ? { isCancelRequested: row.cancelRequestedAt !== null } : null;
    },

    endUpload: (uploadId, worker, patch) =>
      db.transaction(async (t) => {
        const tx = t as unknown as Database;
        const mine = and(eq(uploads.id, uploadId), eq(uploads.worker, worker), holdsRecording());
        const [row] = await tx
          .update(uploads)
          .set({ ...patch, leaseUntil: null, updatedAt: sql`now()` })
          .where(patch.status === "done" ? and(mine, isNull(uploads.cancelRequestedAt)) : mine)
          .returning();
        if (row) await deleteChunks(tx, uploadId);
        return row ?? null;
      }),

    async releaseUpload(uploadId, worker) {
      const [row] = await db
        .update(uploads)
        .set({
          status: "queued",
          worker: null,
          leaseUntil: null,
          attempts: sql`greatest(${uploads.attempts} - 1, 0)`,
          progress: 0,
          faces: 0,
          updatedAt: sql`now()`,
        })
        .where(and(eq(uploads.id, uploadId), eq(uploads.worker, worker), eq(uploads.status, "processing")))
        .returning();
      return row ?? null;
    },

    async cancelUpload(uploadId) {
      if (!UUID.test(uploadId)) return null;
      const queued = await db.transaction(async (t) => {
        const tx = t as unknown as Database;
        const [row] = await tx
          .update(uploads)
          .set({ status: "cancelled", error: null, cancelRequestedAt: sql`now()`, leaseUntil: null, updatedAt: sql`now()` })
          .where(and(eq(uploads.id, uploadId), eq(uploads.status, "queued")))
          .returning();
        if (row) await deleteChunks(tx, uploadId);
        return row;
      });
      if (queued) return { outcome: "cancelled", upload: queued };
      const [running] = await db
        .update(uploads)
        .set({ cancelRequestedAt: sql`coalesce(${uploads.cancelRequestedAt}, now())` })
        .where(and(eq(uploads.id, uploadId), eq(uploads.status, "processing")))
        .returning();
      if (running) return { outcome: "requested", upload: running };
      const [ended] = await db.select().from(uploads).where(eq(uploads.id, uploadId));
      return ended ? { outcome: "finished", upload: ended } : null;
    },

    async takeExpiredUploads(worker, leaseMs) {
      // One statement: concurrent reapers on several instances each take a row at most once (row locks).
      const rows = await db
        .update(uploads)
        .set({ worker, leaseUntil: later(leaseMs), updatedAt: sql`now()` })
        .where(and(holdsRecording(), lt(uploads.leaseUntil, sql`now()`)))
        .returning();
      return rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    },

    async reclaimUploadSpace() {
      await db.execute(sql`VACUUM upload_chunks`);
    },

    async requeueUpload(uploadId, worker) {
      const [row] = await db
        .update(uploads)
        .set({ status: "queued", worker: null, leaseUntil: null, progress: 0, faces: 0, updatedAt: sql`now()` })
        .where(and(eq(uploads.id, uploadId), eq(uploads.worker, worker), holdsRecording()))
        .returning();
      return row ?? null;
    },
  };
}
