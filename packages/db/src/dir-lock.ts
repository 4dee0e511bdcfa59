import { readFileSync, rmSync, utimesSync, writeFileSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { AppError } from "@emotion/protocol";

// PGlite opens a folder that another process has open without a word, and two writers corrupt it. The
// holder touches its lock file every REFRESH_MS; a lock not touched for STALE_MS (a process killed on
// another host or container) or held by a dead process of this host is taken over.
const REFRESH_MS = 10_000;
const STALE_MS = 35_000;

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
};

function isStale(path: string): boolean {
  try {
    const holder = JSON.parse(readFileSync(path, "utf8")) as { pid?: number; host?: string };
    if (Date.now() - statSync(path).mtimeMs > STALE_MS) return true;
    return holder.host === hostname() && (holder.pid === process.pid || !isRunning(Number(holder.pid)));
  } catch {
    return true; // unreadable or half-written: its writer died mid-write
  }
}

/**
 * Takes the lock of an embedded database folder (`<dir>.lock`, next to it, so PGlite's folder stays its own).
 * Throws CONFLICT naming the holder when another live process has it open. Returns the release.
 */
export function lockDatabaseDir(dir: string): () => void {
  const path = `${dir.replace(/[\\/]+$/, "")}.lock`;
  const body = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() });
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, body, { flag: "wx" });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      if (attempt === 0 && isStale(path)) {
        rmSync(path, { force: true });
        continue;
      }
      let holder = "another process";
      try {
        const h = JSON.parse(readFileSync(path, "utf8")) as { pid: number; host: string };
        holder = `process ${h.pid} on ${h.host}`;
      } catch {
        /* named generically */
      }
      throw new AppError(
        "CONFLICT",
        `the embedded database in ${dir} is open in ${holder} (a running server or another emotion command): PGlite admits one process at a time. ` +
          "Stop it first, point DATABASE_URL at Postgres, or for `emotion models` use --server <url> with ADMIN_TOKEN.",
      );
    }
  }
  const timer = setInterval(() => {
    const now = new Date();
    try {
      utimesSync(path, now, now);
    } catch {
      /* the folder went away; nothing to keep */
    }
  }, REFRESH_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    rmSync(path, { force: true });
  };
}
