import { getTableConfig } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "./client";
import { schema } from "./schema";

/**
 * The SQL migrations are the source of truth and schema.ts mirrors them for Drizzle's types. This test
 * keeps the two from drifting: every table, column (type, nullability) and index of one is in the other.
 */
describe("schema.ts mirrors the SQL migrations", () => {
  let db: Db;
  beforeAll(async () => {
    db = await createDb();
  });
  afterAll(() => db?.close());

  const rows = async <T>(q: ReturnType<typeof sql>) => {
    const r = (await db.drizzle.execute(q)) as unknown as T[] | { rows: T[] };
    return Array.isArray(r) ? r : r.rows;
  };

  it.each(Object.values(schema).map((t) => [getTableConfig(t).name, t] as const))("table %s", async (name, table) => {
    const config = getTableConfig(table);
    const columns = await rows<{ column_name: string; data_type: string; is_nullable: string }>(
      sql`SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ${name} ORDER BY column_name`,
    );
    const inSql = columns.map((c) => `${c.column_name} ${c.data_type}${c.is_nullable === "NO" ? " not null" : ""}`).sort();
    const inDrizzle = config.columns.map((c) => `${c.name} ${c.getSQLType()}${c.notNull ? " not null" : ""}`).sort();
    expect(inDrizzle).toEqual(inSql);

    const indexes = await rows<{ indexname: string }>(sql`SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename = ${name}`);
    const secondary = indexes
      .map((i) => i.indexname)
      .filter((n) => !n.endsWith("_pkey") && !n.endsWith("_key"))
      .sort();
    expect(config.indexes.map((i) => i.config.name).sort()).toEqual(secondary);
  });

  it("has no table in the migrations that schema.ts does not know", async () => {
    const tables = await rows<{ table_name: string }>(
      sql`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '_migrations'`,
    );
    expect(tables.map((t) => t.table_name).sort()).toEqual(
      Object.values(schema)
        .map((t) => getTableConfig(t).name)
        .sort(),
    );
  });
});
