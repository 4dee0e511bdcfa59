import { createWriteStream } from "node:fs";
import { mkdir, readdir, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Db } from "@emotion/db";

const SUFFIX = ".recording";
/** What the earlier scheme (recordings waiting on disk, a worker id and a lock per folder) left in the folder. */
const LEGACY = [/\.upload$/, /\.part$/, /^\.worker-id$/, /^\.lock$/];

/**
 * DATA_DIR/uploads: the copy of a recording an instance analyses (ffmpeg needs a seekable file), there
 * only while its job runs. Files are named by host and pid, so that instances sharing a DATA_DIR never
 * delete each other's.
 */
export class UploadScratch {
  constructor(readonly dir: string) {}

  /** The file a job of this process analyses. */
  pathOf(uploadId: string): string {
    return join(this.dir, `${hostname()}-${process.pid}-${uploadId}${SUFFIX}`);
  }

  /** Writes the recording stored in upload_chunks to `path`, one piece at a time. */
  async copyRecording(db: Db, uploadId: string, path: string, signal: AbortSignal): Promise<number> {
    await mkdir(this.dir, { recursive: true });
    let bytes = 0;
    async function* pieces() {
      for (let n = 0; ; n++) {
        signal.throwIfAborted();
        const piece = await db.readUploadChunk(uploadId, n);
        if (!piece) return;
        bytes += piece.length;
        yield piece;
      }
    }
    await pipeline(Readable.from(pieces()), createWriteStream(path), { signal });
    return bytes;
  }

  /**
   * At start: deletes the copies left by a crash of a process of this host (this pid, after a restart in a
   * container, or one no longer running) and the earlier scheme's files. Returns how many were deleted.
   */
  async deleteStrays(): Promise<number> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const prefix = `${hostname()}-`;
    const doomed = names.filter((name) => {
      if (LEGACY.some((re) => re.test(name))) return true;
      if (!name.startsWith(prefix) || !name.endsWith(SUFFIX)) return false;
      const pid = Number(name.slice(prefix.length).split("-")[0]);
      return pid === process.pid || !isRunning(pid);
    });
    for (const name of doomed) await rm(join(this.dir, name), { force: true, recursive: true });
    return doomed.length;
  }
}

function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0); // signal 0 only asks whether the process exists
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
