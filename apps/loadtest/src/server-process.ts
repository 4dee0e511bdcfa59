import { readFile } from "node:fs/promises";
import { startRedis, startServerProcess, type ServerProcess } from "@emotion/server/spawn";

export type { ServerProcess };

/**
 * Starts the server in its own process on a free port with an empty PGlite database in a temp dir
 * (unless DATABASE_URL is set) and NODE_ENV=production; other variables (BATCH_MAX, INFERENCE_THREADS...)
 * pass through. Its output is echoed to stderr. Every simulated listener comes from this one address,
 * so the per-address socket limit is lifted (and the per-session listener cap, for rooms beyond 1,000).
 */
export function startServer({ serverDir, env = {} }: { serverDir?: string; env?: Record<string, string> } = {}): Promise<ServerProcess> {
  return startServerProcess({
    serverDir,
    env: {
      NODE_ENV: "production",
      MAX_SOCKETS_PER_IP: process.env.MAX_SOCKETS_PER_IP ?? "1000000",
      MAX_LISTENERS_PER_SESSION: process.env.MAX_LISTENERS_PER_SESSION ?? "100000",
      ...env,
    },
  });
}

/**
 * One server, or `instances` of them in cluster mode: they share DATABASE_URL's Postgres (embedded
 * PGlite cannot be shared, so it is required) and REDIS_URL's Redis, or a redis-server started here.
 * Everything started is stopped through `onCleanup`.
 */
export async function startServers(
  { serverDir, instances }: { serverDir?: string; instances: number },
  onCleanup: (fn: () => Promise<void>) => void,
): Promise<ServerProcess[]> {
  if (instances === 1) {
    const server = await startServer({ serverDir });
    onCleanup(async () => void (await server.stop()));
    return [server];
  }
  if (!process.env.DATABASE_URL) throw new Error("--instances needs DATABASE_URL: the instances share one Postgres (embedded PGlite cannot be shared)");
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    const redis = await startRedis();
    onCleanup(() => redis.stop());
    redisUrl = redis.url;
  }
  const servers = await Promise.all(
    Array.from({ length: instances }, (_, i) => startServer({ serverDir, env: { REDIS_URL: redisUrl, INSTANCE_ID: `load-${i + 1}` } })),
  );
  for (const server of servers) onCleanup(async () => void (await server.stop()));
  return servers;
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
