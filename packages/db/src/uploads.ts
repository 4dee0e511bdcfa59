import { desc, eq, sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type { ReadingInput } from "./readings";
import type { Repository } from "./repository";
import { schema, uploads } from "./schema";

type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export type UploadRow = typeof uploads.$inferSelect;
export type UploadStatus = UploadRow["status"];

export interface UploadsRepository {
  createUpload(input: { sessionId: string; fileName: string; bytes: number }): Promise<UploadRow>;
  getUpload(id: string): Promise<UploadRow | null>;
  listUploads(sessionId: string): Promise<UploadRow[]>;
  updateUpload(id: string, patch: Partial<Pick<UploadRow, "status" | "progress" | "faces" | "error" | "durationS">>): Promise<UploadRow | null>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createUploadsRepository(db: Database): UploadsRepository {
  return {
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
      const [row] = await db.update(uploads).set({ ...patch, updatedAt: sql`now()` }).where(eq(uploads.id, id)).returning();
      return row ?? null;
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
