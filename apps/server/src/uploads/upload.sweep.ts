import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Db } from "@emotion/db";
import { UPLOAD_INTERRUPTED } from "@emotion/protocol";
import type { FastifyBaseLogger } from "fastify";
import { UPLOAD_HEARTBEAT_MS } from "./upload.jobs";

/** The file in DATA_DIR/uploads holding this folder's worker id (kept across restarts). */
export const WORKER_ID_FILE = ".worker-id";
/** The file naming the process that uses the folder now (pid and host). */
export const LOCK_FILE = ".lock";
const KEPT = new Set([WORKER_ID_FILE, LOCK_FILE]);
/** A server that has not refreshed its unfinished uploads for this long is taken as gone. */
export const UPLOAD_STALE_MS = 4 * UPLOAD_HEARTBEAT_MS;

/**
 * DATA_DIR/uploads: the recordings waiting for analysis, the folder's worker id (uploads.worker: the
 * same after a restart, so a server recognises its own interrupted uploads at once; another DATA_DIR
 * has another id) and a lock naming the live process using it. Nothing is created before the first
 * upload.
 */
export class UploadFolder {
  private worker: string | null = null;

  constructor(readonly dir: string) {}

  /** The worker id, once known (after the first upload ever into this folder). */
  get workerId(): string | null {
    return this.worker;
  }

  /** Reads the worker id of an existing folder; null when no upload was ever received here. */
  async readWorkerId(): Promise<string | null> {
    this.worker ??= (await readFile(join(this.dir, WORKER_ID_FILE), "utf8").catch(() => "")).trim() || null;
    return this.worker;
  }

  /** Makes the folder, its worker id and this process's lock (before a recording is written). Returns the worker id. */
  async prepare(): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const id = (await this.readWorkerId()) ?? randomUUID();
    if (!this.worker) await writeFile(join(this.dir, WORKER_ID_FILE), id);
    this.worker = id;
    await this.lock();
    return id;
  }

  /** The pid of another live process on this host that holds the folder, or null. */
  async otherHolder(): Promise<number | null> {
    const text = await readFile(join(this.dir, LOCK_FILE), "utf8").catch(() => "");
    const [pid, host] = text.trim().split(" ");
    const n = Number(pid);
    if (!Number.isInteger(n) || n <= 0 || n === process.pid || host !== hostname()) return null;
    try {
      process.kill(n, 0); // signal 0: only asks whether the process exists
      return n;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === "EPERM" ? n : null;
    }
  }

  async lock(): Promise<void> {
    await writeFile(join(this.dir, LOCK_FILE), `${process.pid} ${hostname()}`).catch(() => undefined);
  }

  /** Removes the lock if it is this process's (server shutdown). */
  async unlock(): Promise<void> {
    const text = await readFile(join(this.dir, LOCK_FILE), "utf8").catch(() => "");
    if (text.trim() === `${process.pid} ${hostname()}`) await rm(join(this.dir, LOCK_FILE), { force: true });
  }

  /** Deletes every recording and partial transfer in the folder; returns how many. */
  async deleteRecordings(): Promise<number> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const doomed = names.filter((n) => !KEPT.has(n));
    for (const name of doomed) await rm(join(this.dir, name), { force: true, recursive: true });
    return doomed.length;
  }
}

export interface SweepResult {
  /** Uploads marked failed ("interrupted"). */
  interrupted: string[];
  /** Recordings deleted from the uploads folder. */
  files: number;
}

/**
 * Runs at server start, before any upload is accepted: nothing of this process is queued yet, so every
 * recording in the folder is left over from a crash and is deleted (privacy), and every unfinished
 * upload of this folder's worker (or without one, or of a worker gone stale) has what it stored removed
 * and is marked failed "interrupted". A folder held by another live process on this host (a test run
 * next to a dev server on the same DATA_DIR) keeps its recordings and its uploads. Idempotent: a crash
 * during the sweep leaves the rest for the next start.
 */
export async function sweepInterruptedUploads(db: Db, folder: UploadFolder, log: FastifyBaseLogger): Promise<SweepResult> {
  const holder = await folder.otherHolder();
  if (holder) log.warn({ dir: folder.dir, pid: holder }, "another live server uses this uploads folder: its recordings are left alone");
  const worker = holder ? null : await folder.readWorkerId();
  const files = holder ? 0 : await folder.deleteRecordings();
  if (worker) await folder.lock();
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
