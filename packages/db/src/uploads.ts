import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { ReadingInput } from "./readings";
import type { Repository } from "./repository";
import { participants, readings, uploadChunks, uploads, UUID, type Database } from "./schema";
import { createUploadJobsRepository, type UploadJobsRepository } from "./upload-jobs";

export type UploadRow = typeof uploads.$inferSelect;
export type UploadStatus = UploadRow["status"];

export interface UploadsRepository extends UploadJobsRepository {
  /** An upload row alone (no recording, not claimable: see admitUpload for one that is received). */
  createUpload(input: { sessionId: string; fileName: string; bytes: number }): Promise<UploadRow>;
  getUpload(id: string): Promise<UploadRow | null>;
  listUploads(sessionId: string): Promise<UploadRow[]>;
  updateUpload(id: string, patch: Partial<Pick<UploadRow, "status" | "progress" | "faces" | "error" | "durationS">>): Promise<UploadRow | null>;
  /** A participant (kind "upload") for a face an upload's analysis found, linked to the upload. */
  addUploadParticipant(input: { uploadId: string; sessionId: string; name: string }): Promise<string>;
  /**
   * Removes what an upload stored (its participants, their readings and rollup rows), one short
   * statement per participant so the live path is never held up by one long delete. Returns the count
   * of participants removed.
   */
  deleteUploadResults(uploadId: string): Promise<number>;
  /**
   * Finishes clean-ups that were themselves interrupted: deletes the recordings of ended uploads and what
   * failed or cancelled ones stored. Returns the uploads cleaned.
   */
  clearUploadLeftovers(): Promise<string[]>;
}

export function createUploadsRepository(db: Database): UploadsRepository {
  const deleteUploadResults = async (uploadId: string) => {
    if (!UUID.test(uploadId)) return 0;
    const list = await db.select({ id: participants.id, sessionId: participants.sessionId }).from(participants).where(eq(participants.uploadId, uploadId));
    for (const p of list) {
      await db.delete(readings).where(and(eq(readings.sessionId, p.sessionId), eq(readings.participantId, p.id)));
      await db.execute(sql`DELETE FROM reading_buckets WHERE session_id = ${p.sessionId} AND participant_id = ${p.id}`);
      await db.delete(participants).where(eq(participants.id, p.id));
    }
    return list.length;
  };

  return {
    ...createUploadJobsRepository(db),

    async createUpload(input) {
      const [row] = await db.insert(uploads).values(input).returning();
      return row!;
    },
    async getUpload(id) {
      if (!UUID.test(id)) return null;
      const [row] = await db.select().from(uploads).where(eq(uploads.id, id));
      return row ?? null;
    },
    async listUploads(sessionId) {
      if (!UUID.test(sessionId)) return [];
      return db.select().from(uploads).where(eq(uploads.sessionId, sessionId)).orderBy(desc(uploads.createdAt));
    },
    async updateUpload(id, patch) {
      if (!UUID.test(id)) return null;
      const [row] = await db
        .update(uploads)
        .set({ ...patch, updatedAt: sql`now()` })
        .where(eq(uploads.id, id))
        .returning();
      return row ?? null;
    },
    async addUploadParticipant({ uploadId, sessionId, name }) {
      const [row] = await db.insert(participants).values({ sessionId, name, kind: "upload", tokenHash: "-", uploadId }).returning({ id: participants.id });
      return row!.id;
    },
    deleteUploadResults,
    async clearUploadLeftovers() {
      const ended = inArray(uploads.status, ["done", "failed", "cancelled"]);
      const withChunks = await db
        .selectDistinct({ id: uploadChunks.uploadId })
        .from(uploadChunks)
        .innerJoin(uploads, eq(uploads.id, uploadChunks.uploadId))
        .where(ended);
      for (const { id } of withChunks) await db.delete(uploadChunks).where(eq(uploadChunks.uploadId, id));
      const withReadings = await db
        .selectDistinct({ id: uploads.id })
        .from(uploads)
        .innerJoin(participants, eq(participants.uploadId, uploads.id))
        .where(inArray(uploads.status, ["failed", "cancelled"]));
      for (const { id } of withReadings) await deleteUploadResults(id);
      return [...new Set([...withChunks, ...withReadings].map((r) => r.id))];
    },
  };
}

/** A face tracked through a recording, with one reading per sampled frame (see @emotion/vision analyzeVideo). */
export interface TrackedFaceInput {
  name: string;
  readings: Array<Pick<ReadingInput, "tMs" | "quality" | "dominant" | "probabilities">>;
}

/**
 * Stores each tracked face as an "upload" participant with its readings (times are the video's).
 * Call it inside `db.transaction` so a recording is stored whole or not at all. Returns the participant ids.
 * (The server's upload analysis streams instead: addUploadParticipant + insertReadings per batch.)
 */
export async function storeTrackedFaces(tx: Repository, sessionId: string, faces: TrackedFaceInput[], at = Date.now()): Promise<string[]> {
  const ids: string[] = [];
  for (const face of faces) {
    const p = await tx.joinParticipant({ sessionId, name: face.name, kind: "upload", tokenHash: "-" });
    ids.push(p.id);
    await tx.insertReadings(face.readings.map((r) => ({ ...r, sessionId, participantId: p.id, capturedAt: at + r.tMs, serverAt: at })));
  }
  return ids;
}
