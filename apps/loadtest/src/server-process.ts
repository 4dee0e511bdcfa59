import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** apps/server, started the way `pnpm start` does (tsx src/index.ts) but as a direct child, so its pid is the server's. */
const SERVER_DIR = fileURLToPath(new URL("../../server", import.meta.url));

export interface ServerProcess {
  url: string;
  pid: number;
  /** How the server ended when it ended on its own (a crash during the run), else null. */
  readonly crashed: string | null;
  /** Stops the server (SIGTERM: it flushes readings), then removes its data directory. */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve())));

/**
 * Starts the server in its own process on a free port with an empty PGlite database in a temp dir and
 * LOG_LEVEL=warn; other variables (BATCH_MAX, INFERENCE_THREADS, DATABASE_URL...) pass through. Resolves
 * once GET /health answers 200.
 */
export async function startServer({ serverDir = SERVER_DIR, readyTimeoutMs = 120_000 } = {}): Promise<ServerProcess> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "emotion-loadtest-"));
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ["--import", "tsx", "src/index.ts"], {
    cwd: serverDir,
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: process.env.LOG_LEVEL ?? "warn", NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Keep the server's recent output for error messages; pass warnings through to our stderr.
  let tail = "";
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4000);
    process.stderr.write(`[server] ${chunk.toString()}`);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);

  const cleanup = () => {
    process.off("exit", killOnExit);
    rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      cleanup();
      throw new Error(`the server exited during start-up (code ${child.exitCode ?? child.signalCode}):\n${tail}`);
    }
    // index.ts listens only after the model and database are up, so the first answer is final.
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
    if (res?.ok) break;
    if (res) {
      const body = await res.text();
      child.kill("SIGKILL");
      cleanup();
      throw new Error(`the server started degraded (HTTP ${res.status}): ${body}`);
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      cleanup();
      throw new Error(`the server did not answer GET /health within ${readyTimeoutMs / 1000} s:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }

  let isStopping = false;
  let crashed: string | null = null;
  child.once("exit", (code, signal) => {
    if (isStopping) return;
    crashed = `the server exited during the run (${signal ? `signal ${signal}` : `code ${code}`})${tail ? `; its last output:\n${tail}` : ""}`;
    process.stderr.write(`${crashed}\n`);
  });

  return {
    url,
    pid: child.pid!,
    get crashed() {
      return crashed;
    },
    async stop() {
      isStopping = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
        await exited(child);
        clearTimeout(timer);
      }
      cleanup();
    },
  };
}

// /proc reads are async: reading a process's /proc files can wait on that process's memory lock, and a
// stalled server must not stall the load generator's timers too.

/** Resident memory of a local process in MB (VmRSS from /proc), or null where /proc cannot say. */
export async function readRssMb(pid: number): Promise<number | null> {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(await readFile(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** The server's RSS as its /health reports it (`memory.rssMb`), or null when it does not. */
export async function fetchHealthRssMb(url: string): Promise<number | null> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { memory?: { rssMb?: unknown } };
    return typeof body.memory?.rssMb === "number" ? body.memory.rssMb : null;
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a local process has used so far, from /proc/<pid>/stat; null where unreadable. */
export async function readCpuSeconds(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start at state; utime and stime are 12th and 13th after it.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}
