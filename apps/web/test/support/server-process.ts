import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(fileURLToPath(import.meta.url), "../../../../..");

export interface RunningServer {
  url: string;
  logFile: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? done(address.port) : fail(new Error("no port"))));
    });
  });
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode}`);
    const ok = await fetch(`${url}/health`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the server did not become healthy within ${timeoutMs} ms`);
}

/** Starts the real server (apps/server, `pnpm start`'s entry) on a free port with its data in `dataDir`. */
export async function startServer(dataDir: string, timeoutMs = 120_000): Promise<RunningServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = join(dataDir, "server.log");
  const log = createWriteStream(logFile);
  // Always embedded PGlite in a fresh directory: the test must not touch a developer's database.
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: "127.0.0.1", DATA_DIR: join(dataDir, "db"), LOG_LEVEL: "warn", PUBLIC_URL: url };
  delete env.DATABASE_URL;
  const child = spawn(join(repoRoot, "apps/server/node_modules/.bin/tsx"), ["src/index.ts"], {
    cwd: join(repoRoot, "apps/server"),
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const stop = async () => {
    if (child.exitCode !== null || !child.pid) return;
    const exited = new Promise((r) => child.once("exit", r));
    process.kill(-child.pid, "SIGTERM");
    const timer = setTimeout(() => child.pid && process.kill(-child.pid, "SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitForHealth(url, child, timeoutMs);
  } catch (error) {
    await stop();
    const tail = (await readFile(logFile, "utf8").catch(() => "")).slice(-3000);
    throw new Error(`${(error as Error).message}\n--- server log ---\n${tail}`);
  }
  return { url, logFile, stop };
}
