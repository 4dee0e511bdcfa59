import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "@emotion/server/spawn";

const run = promisify(execFile);

/** A Postgres server of our own, so the outage scenario can stop and start it without touching anyone else's. */
export interface ThrowawayPostgres {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its data directory. */
  destroy(): Promise<void>;
  /** Creates another empty database on the same server; answers its URL. */
  createDatabase(name: string): Promise<string>;
}

/** The newest Debian PostgreSQL's bin directory (apt's postgresql package), or PG_BIN. */
export function findPgBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "initdb"))) : [];
  if (!versions.length) throw new Error("no PostgreSQL server binaries: install Debian's postgresql package (or set PG_BIN)");
  return join(root, versions.sort((a, b) => Number(b) - Number(a))[0]!, "bin");
}

/**
 * initdb + pg_ctl in a temp directory on a free port of 127.0.0.1. Postgres refuses to run as root, so
 * as root (CI) every command runs as the `postgres` user that Debian's package creates.
 */
export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const bin = findPgBin();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "emotion-chaos-pg-"));
  const isRoot = process.getuid?.() === 0;
  if (isRoot) {
    chmodSync(dir, 0o777);
    await run("chown", ["postgres:postgres", dir]);
  }
  const pg = (tool: string, args: string[]) => (isRoot ? run("runuser", ["-u", "postgres", "--", join(bin, tool), ...args]) : run(join(bin, tool), args));
  const data = join(dir, "data");
  await pg("initdb", ["-D", data, "-U", "chaos", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  const start = async () => {
    await pg("pg_ctl", [
      "-D",
      data,
      "-l",
      join(dir, "postgres.log"),
      "-w",
      "-t",
      "60",
      "-o",
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on`,
      "start",
    ]);
  };
  const stop = async () => {
    await pg("pg_ctl", ["-D", data, "-w", "-t", "60", "-m", "fast", "stop"]);
  };
  await start();
  await pg("createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", "chaos", "chaos"]);
  return {
    url: `postgres://chaos@127.0.0.1:${port}/chaos`,
    stop,
    start,
    async createDatabase(name: string) {
      await pg("createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", "chaos", name]);
      return `postgres://chaos@127.0.0.1:${port}/${name}`;
    },
    async destroy() {
      await stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
