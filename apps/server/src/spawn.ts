/**
 * Starts this server in a child process, the way `pnpm start` does (tsx src/index.ts) but as a
 * direct child (`node --import tsx`), so the child's pid is the server's own: the load test reads its
 * memory and CPU from /proc, and the browser tests stop it cleanly. Exported as `@emotion/server/spawn`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const SERVER_DIR = fileURLToPath(new URL("..", import.meta.url));

export interface SpawnOptions {
  /** Variables on top of this process's own; `undefined` removes one (e.g. DATABASE_URL: undefined forces PGlite). */
  env?: Record<string, string | undefined>;
  /** The embedded database's directory; a temp directory removed on stop() when not given. */
  dataDir?: string;
  /** Write the server's output to this file; otherwise it is echoed to stderr with a `[server]` prefix. */
  logFile?: string;
  serverDir?: string;
  readyTimeoutMs?: number;
  /** Listen on this port (a restart after a crash keeps its clients' URL); default: a free one. */
  port?: number;
}

export interface ServerProcess {
  url: string;
  port: number;
  pid: number;
  /** How the server ended when it ended on its own (a crash), else null. */
  readonly crashed: string | null;
  /** The last few kB of the server's output. */
  readonly output: string;
  /**
   * Stops the server (SIGTERM: it stores what it accepted; SIGKILL after 20 s), then removes a temp data
   * directory. Answers how it exited: code 1 means some accepted readings could not be stored.
   */
  stop(): Promise<{ code: number | null; signal: string | null }>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no free port"))));
    });
  });
}

const hasExited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;
const exited = (child: ChildProcess) => new Promise<void>((resolve) => (hasExited(child) ? resolve() : child.once("exit", () => resolve())));

/**
 * Starts the server on a free port of 127.0.0.1 with LOG_LEVEL=warn (unless set) and resolves once
 * GET /health answers 200. Throws with the server's last output when it exits, starts degraded or
 * does not answer within `readyTimeoutMs`.
 */
export async function startServerProcess(options: SpawnOptions = {}): Promise<ServerProcess> {
  const { serverDir = SERVER_DIR, readyTimeoutMs = 120_000 } = options;
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const ownDataDir = options.dataDir ? null : mkdtempSync(join(tmpdir(), "emotion-server-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: "127.0.0.1",
    DATA_DIR: options.dataDir ?? ownDataDir!,
    LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
    PUBLIC_URL: url,
  };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const child = spawn(process.execPath, ["--import", "tsx", "src/index.ts"], { cwd: serverDir, env, stdio: ["ignore", "pipe", "pipe"] });
  // The recent output goes into error messages either way.
  let tail = "";
  const log = options.logFile ? createWriteStream(options.logFile) : null;
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4000);
    if (log) log.write(chunk);
    else process.stderr.write(`[server] ${chunk.toString()}`);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const cleanup = () => {
    process.off("exit", killOnExit);
    log?.end();
    if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true });
  };
  const fail = async (message: string): Promise<never> => {
    if (!hasExited(child)) {
      child.kill("SIGKILL");
      await exited(child);
    }
    cleanup();
    throw new Error(`${message}${tail ? `\n--- server output ---\n${tail}` : ""}`);
  };

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (hasExited(child)) await fail(`the server exited during start-up (${child.signalCode ? `signal ${child.signalCode}` : `code ${child.exitCode}`})`);
    // index.ts listens only after the model and database are up, so the first answer is final.
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
    if (res?.ok) break;
    if (res) await fail(`the server started degraded (HTTP ${res.status}): ${await res.text()}`);
    if (Date.now() > deadline) await fail(`the server did not answer GET /health within ${readyTimeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }

  let stopping = false;
  let crashed: string | null = null;
  child.once("exit", (code, signal) => {
    if (stopping) return;
    crashed = `the server exited during the run (${signal ? `signal ${signal}` : `code ${code}`})${tail ? `; its last output:\n${tail}` : ""}`;
    process.stderr.write(`${crashed}\n`);
  });

  return {
    url,
    port,
    pid: child.pid!,
    get crashed() {
      return crashed;
    },
    get output() {
      return tail;
    },
    async stop() {
      stopping = true;
      if (!hasExited(child)) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
        await exited(child);
        clearTimeout(timer);
      }
      cleanup();
      return { code: child.exitCode, signal: child.signalCode };
    },
  };
}

/** Answers Redis's PING over a bare socket (no client library needed to know it is up). */
function pingRedis(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.setTimeout(1000, () => (socket.destroy(), resolve(false)));
    socket.once("error", () => resolve(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (d) => (socket.destroy(), resolve(d.toString().startsWith("+PONG"))));
  });
}

export interface RedisProcess {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Debian's redis-server on a free port of 127.0.0.1, in memory only (cluster-mode tests and load tests). */
export async function startRedis(): Promise<RedisProcess> {
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let tail = "";
  const keep = (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-2000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  child.once("error", (err) => (tail += `\n${err.message}`));
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  for (let i = 0; !(await pingRedis(port)); i++) {
    if (hasExited(child) || i > 100) {
      kill();
      throw new Error(`redis-server did not start (install Debian's redis-server): ${tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      process.off("exit", kill);
      if (!hasExited(child)) {
        child.kill("SIGTERM");
        await exited(child);
      }
    },
  };
}
