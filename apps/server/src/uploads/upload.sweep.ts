import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Db } from "@emotion/db";
import { UPLOAD_INTERRUPTED } from "@emotion/protocol";
import type { FastifyBaseLogger } from "fastify";
import { UPLOAD_HEARTBEAT_MS } from "./upload.jobs";

/** The file in DATA_DIR/uploads holding this server's worker id (kept across restarts). */
export const WORKER_ID_FILE = ".worker-id";
/** A server that has not refreshed its unfinished uploads for this long is taken as gone. */
export const UPLOAD_STALE_MS = 4 * UPLOAD_HEARTBEAT_MS;

/**
 * This DATA_DIR's worker id: the same after a restart, so the server recognises its own interrupted
 * uploads at once; another server (another DATA_DIR) on the same database has another id.
 */
export async function readWorkerId(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, WORKER_ID_FILE);
  const known = (await readFile(file, "utf8").catch(() => "")).trim();
  if (known) return known;
  const id = randomUUID();
  await writeFile(file, id);
  return id;
}

export interface SweepResult {
  /** Uploads marked failed ("interrupted"). */
  interrupted: string[];
  /** Recordings deleted from the uploads folder. */
  files: number;
}

/**
 * Runs at server start, before any upload is accepted: nothing of this process is queued yet, so every
 * recording in `dir` is left over from a crash and is deleted (privacy), and every unfinished upload of
 * this worker (or of a worker gone stale) has what it stored removed and is marked failed "interrupted".
 * Idempotent: a crash during the sweep leaves the rest for the next start.
 */
export async function sweepInterruptedUploads(db: Db, dir: string, worker: string, log: FastifyBaseLogger): Promise<SweepResult> {
  let files = 0;
  for (const name of await readdir(dir)) {
    if (name === WORKER_ID_FILE) continue;
    await rm(join(dir, name), { force: true, recursive: true });
    files++;
  }
  const interrupted: string[] = [];
  for (const upload of await db.listInterruptedUploads(worker, UPLOAD_STALE_MS)) {
    await db.deleteUploadResults(upload.id);
    await db.updateUpload(upload.id, { status: "failed", error: UPLOAD_INTERRUPTED });
    interrupted.push(upload.id);
  }
  for (const id of await db.listUploadsWithLeftovers()) await db.deleteUploadResults(id);
  if (files || interrupted.length) log.warn({ interrupted, files }, "interrupted uploads swept: recordings deleted, uploads marked failed");
  return { interrupted, files };
}
