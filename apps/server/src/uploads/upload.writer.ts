import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { Db, ReadingInput } from "@emotion/db";
import type { FaceReadings } from "@emotion/vision/video";

/** Readings per insertReadings call: one short statement, so live sessions' writes interleave. */
export const UPLOAD_INSERT_ROWS = 500;

/**
 * Stores an upload's readings as its analysis hands them over: a participant (linked to the upload)
 * the first time a face shows up, then its readings in statements of at most UPLOAD_INSERT_ROWS rows,
 * each its own short transaction, yielding to the event loop between them. Holds only the map of
 * face -> participant id (one entry per face found).
 */
export class UploadReadingsWriter {
  private readonly participants = new Map<number, string>();
  private stored = 0;

  constructor(
    private readonly db: Db,
    private readonly upload: { uploadId: string; sessionId: string; signal: AbortSignal },
    /** Epoch ms the recording's t = 0 is placed at (capturedAt = startedAt + t). */
    private readonly startedAt = Date.now(),
  ) {}

  /** Rows inserted so far. */
  get rows(): number {
    return this.stored;
  }

  async write(batch: FaceReadings[]): Promise<void> {
    const { db, upload } = this;
    const rows: ReadingInput[] = [];
    for (const face of batch) {
      let participantId = this.participants.get(face.faceId);
      if (!participantId) {
        participantId = await db.addUploadParticipant({ uploadId: upload.uploadId, sessionId: upload.sessionId, name: face.name });
        this.participants.set(face.faceId, participantId);
      }
      for (const r of face.readings)
        rows.push({ ...r, sessionId: upload.sessionId, participantId, capturedAt: this.startedAt + r.tMs, serverAt: this.startedAt });
    }
    for (let i = 0; i < rows.length; i += UPLOAD_INSERT_ROWS) {
      upload.signal.throwIfAborted();
      this.stored += await db.insertReadings(rows.slice(i, i + UPLOAD_INSERT_ROWS));
      await yieldToEventLoop();
    }
  }
}
