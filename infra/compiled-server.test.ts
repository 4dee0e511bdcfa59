// The compiled server as the image runs it: `node apps/server/dist/index.js` (built by
// apps/server/build.mjs; turbo builds it and the web app before these tests) on an empty DATA_DIR.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./support";

const DIST = join(REPO_ROOT, "apps/server/dist");

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (address && typeof address === "object" ? resolve(address.port) : reject(new Error("no free port"))));
    });
  });
}

/**
 * A listener joining over Socket.IO's HTTP long-polling transport, spoken with fetch (the engine.io v4
 * framing: "0" open, "40" connect, "42<id>[event, payload]" an event with an ack, "43<id>[reply]" the ack).
 */
async function joinAsListener(baseUrl: string, code: string): Promise<unknown> {
  const poll = `${baseUrl}/socket.io/?EIO=4&transport=polling`;
  const open = await (await fetch(poll)).text();
  const { sid } = JSON.parse(open.slice(1)) as { sid: string };
  const send = (packet: string) => fetch(`${poll}&sid=${sid}`, { method: "POST", body: packet, headers: { "content-type": "text/plain" } });
  await send("40");
  await send(`421${JSON.stringify(["listener:join", { v: 1, code, name: "infra check" }])}`);
  for (let k = 0; k < 10; k++) {
    const packets = (await (await fetch(`${poll}&sid=${sid}`)).text()).split("\x1e");
    const ack = packets.find((p) => p.startsWith("431"));
    if (ack) return (JSON.parse(ack.slice(3)) as unknown[])[0];
  }
  throw new Error("no acknowledgement of listener:join");
}

describe("the compiled server (node apps/server/dist/index.js)", () => {
  let child: ChildProcess;
  let baseUrl = "";
  let output = "";
  const dataDir = mkdtempSync(join(tmpdir(), "emotion-compiled-"));

  beforeAll(async () => {
    expect(existsSync(join(DIST, "index.js")), "apps/server/dist/index.js: run `pnpm build` first").toBe(true);
    const port = await findFreePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      NODE_ENV: "production",
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      LOG_LEVEL: "info",
    };
    // Run from elsewhere than the repository, as in the image: nothing may depend on the working directory.
    child = spawn(process.execPath, [join(DIST, "index.js")], { cwd: tmpdir(), env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the compiled server exited during start-up:\n${output.slice(-3000)}`);
      const res = await fetch(`${baseUrl}/health`).catch(() => null);
      if (res) break;
      if (Date.now() > deadline) throw new Error(`no answer on /health within 90 s:\n${output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("carries no TypeScript loader: the server and its inference worker are plain JavaScript", () => {
    for (const file of ["index.js", "inference.worker.mjs"]) {
      expect(readFileSync(join(DIST, file), "utf8"), file).not.toMatch(/from "tsx|import\("tsx|tsx\/esm/);
    }
    // The pool starts the worker beside the bundle (dist/inference.worker.mjs), not the tsx bootstrap in src/.
    expect(readFileSync(join(DIST, "index.js"), "utf8")).toContain('new URL("./inference.worker.mjs", import.meta.url)');
  });

  it("migrates an empty DATA_DIR, loads the model and answers /health", async () => {
    const res = await fetch(`${baseUrl}/health`);
    const health = (await res.json()) as { status: string; model: { loaded: boolean; name: string | null }; db: { ok: boolean; driver: string } };
    expect(res.status, JSON.stringify(health)).toBe(200);
    expect(health).toMatchObject({ status: "ok", model: { loaded: true, name: "emotion-mini-xception" }, db: { ok: true, driver: "pglite" } });
    expect(output).toMatch(/database migrated/);
  });

  it("serves the web app", async () => {
    const res = await fetch(`${baseUrl}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<div id="root">');
  });

  // One core runs no workers (inferenceWorkersFor): nothing to start there.
  it.skipIf(availableParallelism() < 2)("starts its inference workers from the compiled worker when a listener joins", async () => {
    const created = await fetch(`${baseUrl}/api/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ title: "infra check" }),
    });
    expect(created.status).toBe(201);
    const { code } = (await created.json()) as { code: string };
    expect(await joinAsListener(baseUrl, code)).toMatchObject({ ok: true });
    const deadline = Date.now() + 30_000;
    while (!/inference worker ready/.test(output) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(output).toMatch(/inference worker ready/);
    expect(output).not.toMatch(/inference worker stopped/);
  });

  it("stores what it accepted and exits 0 on SIGTERM", async () => {
    child.kill("SIGTERM");
    const code = await new Promise((r) => child.once("exit", r));
    expect(code).toBe(0);
  });
});
