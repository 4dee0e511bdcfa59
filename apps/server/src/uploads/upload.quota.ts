import type { Db, UploadRow } from "@emotion/db";
import { AppError } from "@emotion/protocol";

/** 507 Insufficient Storage: the request is fine, the server has no room for it now. */
const INSUFFICIENT_STORAGE = 507;

export interface UploadLimits {
  /** MAX_QUEUED_UPLOADS: recordings waiting (received, not yet analysed), all instances together. */
  maxQueued: number;
  /** UPLOAD_DISK_QUOTA_BYTES: bytes of the recordings stored in the database (waiting or being analysed). */
  quotaBytes: number;
}

/** 429 when MAX_QUEUED_UPLOADS recordings already wait. */
export function queueFullError(waiting: number, maxQueued: number): AppError {
  return new AppError(
    "RATE_LIMITED",
    `the server already has ${waiting} recordings waiting to be analysed, its limit (MAX_QUEUED_UPLOADS=${maxQueued}); try again once one is done`,
  );
}

/** Throws 429 when the queue is full now (checked before the transfer, and again once it is received). */
export async function checkQueue(db: Db, limits: UploadLimits): Promise<void> {
  const waiting = await db.countWaitingUploads();
  if (waiting >= limits.maxQueued) throw queueFullError(waiting, limits.maxQueued);
}

/**
 * Creates the upload row before a byte is stored, reserving its declared size (Content-Length, else the
 * largest recording) in the quota, so concurrent uploads on any instance cannot overshoot together.
 * 413 when it could never fit, 507 naming the quota when it does not fit now.
 */
export async function admitUpload(
  db: Db,
  input: { sessionId: string; fileName: string; bytes: number; leaseMs: number },
  { quotaBytes }: UploadLimits,
): Promise<UploadRow> {
  const { bytes } = input;
  if (bytes > quotaBytes)
    throw new AppError(
      "PAYLOAD_TOO_LARGE",
      `the server's space for recordings is ${quotaBytes} bytes (UPLOAD_DISK_QUOTA_BYTES): this upload of ${bytes} bytes cannot fit`,
    );
  const admission = await db.admitUpload({ ...input, quotaBytes });
  if ("upload" in admission) return admission.upload;
  throw new AppError(
    "NOT_READY",
    `the server's space for recordings waiting to be analysed is full: ${admission.usedBytes} of ${quotaBytes} bytes in use (UPLOAD_DISK_QUOTA_BYTES), ${bytes} more needed; try again once the recordings ahead are analysed`,
    INSUFFICIENT_STORAGE,
  );
}
