import { desc, eq, sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
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
