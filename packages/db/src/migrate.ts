import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The shipped SQL migrations, applied in file-name order. */
export const MIGRATIONS_DIR = fileURLToPath(new URL("../migrations", import.meta.url));

export interface Migration {
  name: string;
  sql: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((name) => ({ name, sql: readFileSync(join(dir, name), "utf8") }));
}

/** What the migrator needs from a driver, inside one transaction. */
export interface MigrationTx {
  /** Runs a script of several statements, no parameters. */
  script(sql: string): Promise<void>;
  query(sql: string, params: unknown[]): Promise<Array<Record<string, unknown>>>;
}

// Any fixed number; every instance that starts at once waits on it, so only one applies migrations.
const LOCK_KEY = 727_411_001;

/**
 * Applies the migrations not yet recorded in `_migrations`, all in one transaction under an advisory
 * lock (safe when several server instances start together). Returns the names applied.
 */
export async function applyMigrations(transaction: <T>(fn: (tx: MigrationTx) => Promise<T>) => Promise<T>, migrations = readMigrations()): Promise<string[]> {
  return transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [LOCK_KEY]);
    await tx.script("CREATE TABLE IF NOT EXISTS _migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
    const done = new Set((await tx.query("SELECT name FROM _migrations", [])).map((r) => String(r.name)));
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.name)) continue;
      await tx.script(m.sql);
      await tx.query("INSERT INTO _migrations (name) VALUES ($1)", [m.name]);
      applied.push(m.name);
    }
    return applied;
  });
}
