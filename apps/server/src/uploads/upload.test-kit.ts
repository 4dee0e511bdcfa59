// Test helpers shared by the upload tests (not part of the server).
import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { eq, sql } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import { createDb, uploadChunks, type Db } from "@emotion/db";
import { CreatedSession, UploadView } from "@emotion/protocol";

/** Pieces of an upload's recording still in the database (all uploads' without an id). */
export async function countChunks(db: Db, uploadId?: string): Promise<number> {
  const rows = await db.drizzle
    .select({ n: uploadChunks.n })
    .from(uploadChunks)
    .where(uploadId ? eq(uploadChunks.uploadId, uploadId) : undefined);
  return rows.length;
}

/** A multipart/form-data body with one file part. */
export function multipart(field: string, filename: string, body: Buffer, type = "video/mp4") {
  const boundary = "----emotion-test-boundary";
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`),
    body,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, headers: { "content-type": `multipart/form-data; boundary=${boundary}` } };
}

export const bearer = (s: CreatedSession) => ({ authorization: `Bearer ${s.speakerToken}` });

/** Client calls of one app, as a speaker would make them. */
export function uploadClient(app: FastifyInstance) {
  const client = {
    async session(title = "Recorded talk") {
      return CreatedSession.parse((await app.inject({ method: "POST", url: "/api/sessions", payload: { title } })).json());
    },
    async upload(s: CreatedSession, body: Buffer, field = "video", name = "talk.mp4") {
      const { payload, headers } = multipart(field, name, body);
      return app.inject({ method: "POST", url: `/api/sessions/${s.id}/uploads`, payload, headers: { ...headers, ...bearer(s) } });
    },
    async status(s: CreatedSession, uploadId: string) {
      return UploadView.parse((await app.inject({ url: `/api/uploads/${uploadId}`, headers: bearer(s) })).json());
    },
    /** Polls until the upload is finished (or `until` holds). */
    async settle(s: CreatedSession, uploadId: string, until = (u: UploadView) => ["done", "failed", "cancelled"].includes(u.status)) {
      for (let i = 0; i < 1200; i++) {
        const status = await client.status(s, uploadId);
        if (until(status)) return status;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error("upload did not reach the state waited for");
    },
  };
  return client;
}

/** Disk pages upload_chunks holds (with its TOAST table and index), deleted rows included until VACUUM. */
export async function chunkTableBytes(db: Db): Promise<number> {
  const result = (await db.drizzle.execute(sql`SELECT pg_total_relation_size('upload_chunks')::float8 AS bytes`)) as unknown as
    Array<{ bytes: number }> | { rows: Array<{ bytes: number }> };
  return Number((Array.isArray(result) ? result : result.rows)[0]!.bytes);
}

/**
 * One database for several instances: PGlite (one Db, shared, as embedded mode has one process) and,
 * when TEST_DATABASE_URL is set, Postgres in a schema of its own (each instance its own pool), so the
 * instances of other test files never claim these jobs.
 */
export function sharedDatabases(testDatabaseUrl: string | undefined) {
  const list: Array<[string, () => Promise<SharedDatabase>]> = [["pglite", openSharedPglite]];
  if (testDatabaseUrl) list.push(["postgres", () => openSharedPostgres(testDatabaseUrl)]);
  return list;
}

export interface SharedDatabase {
  /** The URL for a server process (Postgres), null for the embedded database. */
  url: string | null;
  /** A connection for one more instance (the same Db on PGlite). */
  connect(): Promise<Db>;
  close(): Promise<void>;
}

async function openSharedPglite(): Promise<SharedDatabase> {
  const db = await createDb();
  return { url: null, connect: async () => db, close: () => db.close() };
}

async function openSharedPostgres(base: string): Promise<SharedDatabase> {
  const schema = `upload_jobs_${randomUUID().slice(0, 8)}`;
  const admin = await createDb({ url: base, migrate: false, maxConnections: 1 });
  await admin.drizzle.execute(sql.raw(`CREATE SCHEMA ${schema}`));
  const url = `${base}${base.includes("?") ? "&" : "?"}search_path=${schema}`;
  const opened: Db[] = [];
  return {
    url,
    async connect() {
      const db = await createDb({ url, maxConnections: 4 });
      opened.push(db);
      return db;
    },
    async close() {
      for (const db of opened) await db.close();
      await admin.drizzle.execute(sql.raw(`DROP SCHEMA ${schema} CASCADE`));
      await admin.close();
    },
  };
}

/** Log lines of an app as objects (pass `logger` to buildApp). */
export function captureLog() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: { level: "info", stream } };
}
