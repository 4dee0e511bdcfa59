import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "./index";

/** PGlite, and Postgres (in a schema of its own, so other tests' jobs stay out) when TEST_DATABASE_URL is set. */
const backends: Array<[string, string | undefined]> = [["pglite", undefined]];
if (process.env.TEST_DATABASE_URL) backends.push(["postgres", process.env.TEST_DATABASE_URL]);

describe.each(backends)("upload jobs in the database (%s)", (_name, base) => {
  const schema = `upload_queue_${randomUUID().slice(0, 8)}`;
  let admin: Db | null = null;
  /** Instances: on Postgres each its own pool, on PGlite the one database. */
  const connections: Db[] = [];
  let db: Db;

  beforeAll(async () => {
    if (base) {
      admin = await createDb({ url: base, migrate: false, maxConnections: 1 });
      await admin.drizzle.execute(sql.raw(`CREATE SCHEMA ${schema}`));
      const url = `${base}${base.includes("?") ? "&" : "?"}search_path=${schema}`;
      for (let i = 0; i < 3; i++) connections.push(await createDb({ url, maxConnections: 4 }));
    } else {
      const one = await createDb();
      connections.push(one, one, one);
    }
    db = connections[0]!;
  });
  afterAll(async () => {
    for (const c of new Set(connections)) await c.close();
    if (admin) {
      await admin.drizzle.execute(sql.raw(`DROP SCHEMA ${schema} CASCADE`));
      await admin.close();
    }
  });

  async function receivedUploads(count: number) {
    const s = (await db.createSession({ code: randomUUID().slice(0, 8), title: "Queue", speakerTokenHash: "h" }))!;
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const admission = await db.admitUpload({ sessionId: s.id, fileName: `${i}.mp4`, bytes: 3, quotaBytes: 1e12, leaseMs: 60_000 });
      if (!("upload" in admission)) throw new Error("not admitted");
      await db.appendUploadChunk(admission.upload.id, 0, Buffer.from([1, 2, 3]));
      expect(await db.markUploadReceived(admission.upload.id, 3, 1000)).toBe("received");
      ids.push(admission.upload.id);
    }
    return ids;
  }

  it("gives each waiting upload to exactly one of many concurrent claimers", async () => {
    const ids = await receivedUploads(30);
    // 3 instances x 4 claim loops, all at once
    const claimed = await Promise.all(
      connections.flatMap((c, i) =>
        [0, 1, 2, 3].map(async (j) => {
          const mine: string[] = [];
          for (let row = await c.claimUpload(`w${i}.${j}`, 60_000); row; row = await c.claimUpload(`w${i}.${j}`, 60_000)) mine.push(row.id);
          return mine;
        }),
      ),
    );
    const all = claimed.flat();
    expect(all.length).toBe(30);
    expect(new Set(all)).toEqual(new Set(ids));
    for (const id of ids) expect((await db.getUpload(id))!).toMatchObject({ status: "processing", attempts: 1 });
  });

  it("lets only one of several concurrent reapers take over an expired job", async () => {
    const [id] = await receivedUploads(1);
    expect((await db.claimUpload("dead", 1))!.id).toBe(id);
    await new Promise((r) => setTimeout(r, 20));
    const taken = await Promise.all(connections.map((c, i) => c.takeExpiredUploads(`reaper${i}`, 60_000)));
    expect(taken.flat().map((r) => r.id)).toEqual([id]);
    const holder = taken.findIndex((rows) => rows.length === 1);
    // the others cannot end or requeue it
    for (let i = 0; i < 3; i++) if (i !== holder) expect(await connections[i]!.requeueUpload(id!, `reaper${i}`)).toBeNull();
    expect(await db.requeueUpload(id!, `reaper${holder}`)).toMatchObject({ status: "queued", worker: null, attempts: 1 });
  });

  it("admits concurrent uploads on several instances only as far as the quota goes (unfinished uploads hold space)", async () => {
    const s = (await db.createSession({ code: randomUUID().slice(0, 8), title: "Quota", speakerTokenHash: "h" }))!;
    const input = { sessionId: s.id, fileName: "talk.mp4", bytes: 100, leaseMs: 60_000 };
    const probe = await db.admitUpload({ ...input, quotaBytes: 0 });
    if (!("usedBytes" in probe)) throw new Error("admitted beyond a quota of 0");
    // the earlier tests' uploads are unfinished: their bytes count
    expect(probe.usedBytes).toBeGreaterThanOrEqual(31 * 3);
    const quotaBytes = probe.usedBytes + 500;
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => connections[i % 3]!.admitUpload({ ...input, quotaBytes })));
    expect(answers.filter((a) => "upload" in a).length).toBe(5);
    expect(answers.filter((a) => "usedBytes" in a).map((a) => (a as { usedBytes: number }).usedBytes)).toEqual(Array(7).fill(quotaBytes));
  });
});
