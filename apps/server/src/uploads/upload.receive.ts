import type { Db } from "@emotion/db";

/** Pieces of a recording in upload_chunks: one short insert each, a bounded buffer while receiving. */
export const UPLOAD_CHUNK_BYTES = 1024 * 1024;
/** How often a transfer renews its lease at most (and at least three times per lease, UPLOAD_LEASE_MS). */
const TRANSFER_RENEW_MS = 2000;

export interface ReceivedRecording {
  bytes: number;
  /** The first 16 bytes (what sniffVideo reads). */
  head: Uint8Array;
}

/**
 * Stores a recording as it arrives into upload_chunks, in pieces of UPLOAD_CHUNK_BYTES: the next bytes
 * are read only once the previous piece is stored (back-pressure: at most one piece in memory).
 * `isAccepted(head)` is asked once the first 16 bytes are in; when it refuses, nothing more is stored
 * and the rest of the body is read and dropped (the client gets the answer, not a reset connection).
 * While it runs, the upload's lease is renewed, so no instance takes the transfer as dead.
 */
export async function receiveRecording(
  db: Db,
  upload: { id: string; leaseMs: number },
  source: AsyncIterable<Buffer>,
  isAccepted: (head: Uint8Array) => boolean = () => true,
): Promise<ReceivedRecording & { isRefused: boolean }> {
  const every = Math.min(TRANSFER_RENEW_MS, upload.leaseMs / 3);
  const renewal = setInterval(() => void db.renewTransfer(upload.id, upload.leaseMs).catch(() => undefined), every);
  let piece = Buffer.allocUnsafe(UPLOAD_CHUNK_BYTES);
  let filled = 0;
  let n = 0;
  let bytes = 0;
  let head: Uint8Array | null = null;
  let isRefused = false;
  const flush = async () => {
    if (!filled) return;
    await db.appendUploadChunk(upload.id, n++, piece.subarray(0, filled));
    // renewed with every piece too: on a busy embedded database the timer's renewal may wait behind the inserts
    await db.renewTransfer(upload.id, upload.leaseMs);
    piece = Buffer.allocUnsafe(UPLOAD_CHUNK_BYTES); // the driver may still hold the previous one
    filled = 0;
  };
  const checkHead = () => {
    head = Uint8Array.from(piece.subarray(0, Math.min(16, filled)));
    isRefused = !isAccepted(head);
  };
  try {
    for await (const data of source) {
      bytes += data.length;
      if (isRefused) continue;
      for (let offset = 0; offset < data.length;) {
        const taken = data.copy(piece, filled, offset);
        filled += taken;
        offset += taken;
        if (!head && filled >= 16) checkHead();
        if (isRefused) break;
        if (filled === UPLOAD_CHUNK_BYTES) await flush();
      }
    }
    if (!head) checkHead();
    if (!isRefused) await flush();
    return { bytes, head: head ?? new Uint8Array(), isRefused };
  } finally {
    clearInterval(renewal);
  }
}
