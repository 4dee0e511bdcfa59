import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { createDb } from "./client";

const work = mkdtempSync(join(tmpdir(), "dir-lock-"));
const CLIENT = fileURLToPath(new URL("./client.ts", import.meta.url));

/** Opens the database in a child process and keeps it open until killed; resolves once it is open. */
function holdInChild(dir: string) {
  const script = `const { createDb } = await import(${JSON.stringify(CLIENT)}); await createDb({ dataDir: ${JSON.stringify(dir)} }); console.log("open"); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const open = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => d.toString().includes("open") && resolve());
    child.on("exit", (code) => reject(new Error(`child exited ${code}`)));
  });
  return { child, open };
}

describe("embedded database folder lock", () => {
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("refuses a folder another live process has open, naming it, and takes it over once that process is killed", async () => {
    const dir = join(work, "pglite");
    const { child, open } = holdInChild(dir);
    await open;
    try {
      await expect(createDb({ dataDir: dir })).rejects.toThrow(new RegExp(`open in process ${child.pid} .*one process at a time`));
    } finally {
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
    }
    // killed without closing: its lock is stale (dead pid on this host)
    const db = await createDb({ dataDir: dir });
    expect(await db.ping()).toBe(true);
    await db.close();
    expect(existsSync(`${dir}.lock`)).toBe(false);
  }, 90_000);

  it("takes over a half-written lock file", async () => {
    const dir = join(work, "other");
    writeFileSync(`${dir}.lock`, "{");
    const db = await createDb({ dataDir: dir });
    await db.close();
  }, 60_000);
});
