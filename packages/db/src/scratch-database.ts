import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { createDb, type Db } from "./client";

/**
 * A new, empty Postgres database next to the one `url` names, for tests that need a database of their own
 * (the model registry is global state: one active version per database). `drop()` removes it.
 */
export async function createScratchDatabase(url: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `scratch_${randomUUID().replace(/-/g, "").slice(0, 16)}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const scratch = new URL(url);
  scratch.pathname = `/${name}`;
  return {
    url: scratch.toString(),
    async drop() {
      const again = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await again.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await again.end({ timeout: 5 });
      }
    },
  };
}

/**
 * A database for one test file: a scratch Postgres database next to `postgresUrl`'s when one is given,
 * else embedded PGlite in memory. `close()` closes it and drops the scratch database.
 */
export async function openTestDb(postgresUrl: string | null): Promise<{ db: Db; url: string | undefined; close: () => Promise<void> }> {
  const scratch = postgresUrl ? await createScratchDatabase(postgresUrl) : null;
  const db = await createDb({ url: scratch?.url });
  return {
    db,
    url: scratch?.url,
    async close() {
      await db.close();
      await scratch?.drop();
    },
  };
}
