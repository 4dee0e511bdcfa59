import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { sql, type SQL } from "drizzle-orm";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { lockDatabaseDir } from "./dir-lock";
import { applyMigrations, type MigrationTx } from "./migrate";
import { createRepository, type Repository } from "./repository";
import { schema, type Database } from "./schema";

export type { Database };

export interface CreateDbOptions {
  /** postgres:// URL; when absent an embedded PGlite is used. */
  url?: string;
  /** PGlite data directory; absent (and no url) = in-memory. */
  dataDir?: string;
  /** Apply pending migrations before returning (default true). */
  migrate?: boolean;
  /** Pool size for Postgres (default 10). */
  maxConnections?: number;
  /** Where the shipped models and models/registry.json are (default: models/ at the repository root). */
  modelsDir?: string;
}

export interface Db extends Repository {
  /** "pglite" (embedded) or "postgres". */
  readonly driver: "pglite" | "postgres";
  /** The Drizzle instance, for queries the repository does not cover. */
  readonly drizzle: Database;
  /** Names of the migrations applied by this call (empty when up to date). */
  readonly migrationsApplied: string[];
  /** True when a trivial query answers. */
  ping(): Promise<boolean>;
  /** Runs `fn` on a repository bound to one transaction: all of it is stored, or nothing. */
  transaction<T>(fn: (tx: Repository) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Opens the database (Postgres when `url` is set, else embedded PGlite), applies migrations, returns the repository. */
export async function createDb(options: CreateDbOptions = {}): Promise<Db> {
  const migrate = options.migrate ?? true;
  if (options.url) {
    const client = postgres(options.url, { max: options.maxConnections ?? 10, onnotice: () => {} });
    const db = drizzlePostgres({ client, schema }) as unknown as Database;
    const applied = migrate
      ? await applyMigrations(
          (fn) =>
            client.begin((tx) =>
              fn({
                script: async (text) => void (await tx.unsafe(text).simple()),
                query: async (text, params) => [...(await tx.unsafe(text, params as never[]))],
              } satisfies MigrationTx),
            ) as never,
        )
      : [];
    return finish("postgres", db, applied, () => client.end({ timeout: 5 }), options.modelsDir);
  }
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const unlock = options.dataDir ? lockDatabaseDir(options.dataDir) : () => {};
  const client = new PGlite(options.dataDir);
  try {
    await client.waitReady;
  } catch (e) {
    unlock();
    // PGlite reports a failed start only as "Program terminated with exit(1)"; name the folder and the usual cause.
    const why = String((e as { message?: unknown } | null)?.message ?? e); // an Error, or emscripten's ExitStatus
    throw new Error(
      `cannot open the embedded database (PGlite) in ${options.dataDir ?? "memory"}: ${why}. ` +
        "The folder must be empty or hold a database made by PGlite; move other files out of it, or point DATA_DIR or DATABASE_URL elsewhere.",
    );
  }
  const db = drizzlePglite({ client, schema }) as unknown as Database;
  const applied = migrate
    ? await applyMigrations((fn) =>
        client.transaction((tx) =>
          fn({
            script: async (text) => void (await tx.exec(text)),
            query: async (text, params) => (await tx.query<Record<string, unknown>>(text, params)).rows,
          }),
        ),
      ).catch(async (e: unknown) => {
        await client.close();
        unlock();
        throw e;
      })
    : [];
  return finish("pglite", db, applied, () => client.close().finally(unlock), options.modelsDir);
}

/** Raw query rows from either driver (postgres-js answers an array, PGlite `{ rows }`). */
function rowsOf(db: Database) {
  return async <T>(q: SQL): Promise<T[]> => {
    const result = (await db.execute(q)) as unknown as T[] | { rows: T[] };
    return Array.isArray(result) ? [...result] : result.rows;
  };
}

function finish(driver: Db["driver"], db: Database, migrationsApplied: string[], close: () => Promise<void>, modelsDir?: string): Db {
  let isClosed = false;
  return {
    ...createRepository(db, rowsOf(db), { modelsDir }),
    transaction: (fn) => db.transaction((tx) => fn(createRepository(tx as unknown as Database, rowsOf(tx as unknown as Database), { modelsDir }))),
    driver,
    drizzle: db,
    migrationsApplied,
    async ping() {
      try {
        await db.execute(sql`select 1`);
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      if (isClosed) return;
      isClosed = true;
      await close();
    },
  };
}
