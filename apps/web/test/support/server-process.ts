import { join } from "node:path";
import { startServerProcess } from "@emotion/server/spawn";

export interface RunningServer {
  url: string;
  logFile: string;
  stop(): Promise<void>;
}

/** Starts the real server (apps/server, `pnpm start`'s entry) on a free port with its data in `dataDir`. */
export async function startServer(dataDir: string, timeoutMs = 120_000): Promise<RunningServer> {
  const logFile = join(dataDir, "server.log");
  // Always embedded PGlite in a fresh directory: the test must not touch a developer's database.
  const server = await startServerProcess({ dataDir: join(dataDir, "db"), logFile, env: { DATABASE_URL: undefined }, readyTimeoutMs: timeoutMs });
  return { url: server.url, logFile, stop: () => server.stop().then(() => undefined) };
}
