import { createDb, DEFAULT_DATA_DIR, embeddedDbDir, type Db } from "@emotion/db";
import { env } from "../env";
import { resolveUserPath } from "../output";

/**
 * Opens the database the server uses: DATABASE_URL (Postgres), else the embedded PGlite in DATA_DIR. The
 * embedded one admits one process at a time, so with a server running on it this fails, naming the holder.
 */
export function openDatabase(): Promise<Db> {
  if (env.DATABASE_URL) return createDb({ url: env.DATABASE_URL, maxConnections: 2 });
  return createDb({ dataDir: embeddedDbDir(env.DATA_DIR ? resolveUserPath(env.DATA_DIR) : DEFAULT_DATA_DIR) });
}

/** Runs `fn` on the database and closes it, whatever happens. */
export async function withDatabase<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDatabase();
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
