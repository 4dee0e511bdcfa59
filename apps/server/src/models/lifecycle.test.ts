import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { io as connect, type Socket } from "socket.io-client";
import { afterAll, describe, expect, it } from "vitest";
import { createScratchDatabase } from "@emotion/db";
import { EMOTIONS, ModelsResponse, type CreatedSession, type FeedbackAck, type ListenerJoined, type ReadingAck } from "@emotion/protocol";
import { startServerProcess, type ServerProcess } from "../spawn";
import { sampleCrops, testVision } from "../test/fixtures";

const require = createRequire(import.meta.url);
const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
const TOKEN = "lifecycle-admin-token-0123456789";
const tmp = mkdtempSync(join(tmpdir(), "model-lifecycle-"));

/** `pnpm emotion …` as a child process, on the server's database. */
function emotion(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, ADMIN_TOKEN: TOKEN };
  delete childEnv.INIT_CWD;
  if (!env.DATABASE_URL) delete childEnv.DATABASE_URL;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [require.resolve("tsx/cli"), join(REPO, "apps/cli/src/main.ts"), ...args], {
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
const lastJson = <T>(r: { stdout: string }) => JSON.parse(r.stdout.trimEnd().split("\n").at(-1) ?? "") as T;

type AckResponse<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };
async function ok<T>(c: Socket, event: string, payload: unknown): Promise<T> {
  const res = (await c.timeout(30_000).emitWithAck(event, payload)) as AckResponse<T>;
  if (!res.ok) throw new Error(`${event}: ${res.error.code} ${res.error.message}`);
  return res.data;
}

async function healthVersion(server: ServerProcess): Promise<number | null> {
  return ((await (await fetch(`${server.url}/health`)).json()) as { model: { version: number | null } }).model.version;
}
/** Waits until /health shows `version` (the promote route swaps the instance it reached before answering; this is the guard). */
async function waitForVersion(server: ServerProcess, version: number): Promise<void> {
  for (let i = 0; i < 100 && (await healthVersion(server)) !== version; i++) await new Promise((r) => setTimeout(r, 200));
  expect(await healthVersion(server)).toBe(version);
}

// Postgres when TEST_DATABASE_URL is given; else the embedded database, which the trainer reaches while the server is stopped.
const isPostgres = Boolean(process.env.TEST_DATABASE_URL);

describe(`the model's life cycle on a running server (${isPostgres ? "postgres" : "pglite"})`, () => {
  let server: ServerProcess | null = null;
  let drop = async () => {};
  afterAll(async () => {
    await server?.stop();
    await drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("correction stored → tiny fine-tune → promote → the server reads with the new version → rollback", async () => {
    const made = spawnSync("python3", [join(REPO, "training/tests/make_smoke_data.py"), tmp, "--train", "256", "--test", "64"]);
    if (made.status !== 0) expect(spawnSync("/usr/bin/python3", [join(REPO, "training/tests/make_smoke_data.py"), tmp]).status).toBe(0);
    let dbEnv: Record<string, string>;
    if (isPostgres) {
      const scratch = await createScratchDatabase(process.env.TEST_DATABASE_URL!);
      drop = scratch.drop;
      dbEnv = { DATABASE_URL: scratch.url };
    } else dbEnv = { DATA_DIR: join(tmp, "data") };
    const serverEnv = { ...dbEnv, DATABASE_URL: dbEnv.DATABASE_URL, ADMIN_TOKEN: TOKEN, MODEL_POLL_MS: "500", READING_RATE_HZ: "20", BATCH_WAIT_MS: "5" };
    const start = (port?: number) => startServerProcess({ env: serverEnv, dataDir: dbEnv.DATA_DIR, port, logFile: join(tmp, "server.log") });
    server = await start();
    const port = server.port;
    expect(await healthVersion(server)).toBe(1);

    // A listener's readings and its corrections with consent (each with its crop).
    const crops = await sampleCrops(await testVision(), 6);
    const session = (await (
      await fetch(`${server.url}/api/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"title":"Life cycle"}' })
    ).json()) as CreatedSession;
    const listen = async () => {
      const c = connect(server!.url, { transports: ["websocket"], forceNew: true, reconnection: false });
      await new Promise<void>((resolve, reject) => c.once("connect", resolve).once("connect_error", reject));
      await ok<ListenerJoined>(c, "listener:join", { v: 1, code: session.code });
      return c;
    };
    let c = await listen();
    for (const [i, crop] of crops.entries()) {
      const read = await ok<ReadingAck>(c, "listener:crop", { v: 1, kind: "face", seq: i + 1, capturedAt: Date.now(), crop });
      const label = EMOTIONS.find((e) => e !== read.dominant)!;
      const stored = await ok<FeedbackAck>(c, "listener:feedback", { v: 1, seq: i + 1, label, crop });
      expect(stored.predicted).toBe(read.dominant);
    }
    c.disconnect();

    // The tiny fine-tune (the embedded database admits one process: the server steps aside meanwhile).
    if (!isPostgres) await server.stop();
    const trained = await emotion(
      [
        "train",
        "--feedback",
        "--epochs",
        "1",
        "--holdout",
        "0.2",
        "--csv",
        join(tmp, "fer.csv.gz"),
        "--votes",
        join(tmp, "votes.csv"),
        "--threads",
        "1",
        "--json",
      ],
      dbEnv,
    );
    expect(trained.code, trained.stderr.slice(-3000)).toBe(0);
    const { version } = lastJson<{ version: number }>(trained);
    expect(version).toBe(2);
    if (!isPostgres) server = await start(port);
    expect(await healthVersion(server)).toBe(1); // a candidate is not used until promoted

    // Random smoke data makes a poor model: the gate refuses it; forced, every instance moves to it.
    const refused = await emotion(["models", "promote", "2", "--server", server.url, "--json"], {});
    expect([refused.code, lastJson<{ error: { code: string } }>(refused).error.code]).toEqual([1, "CONFLICT"]);
    const promoted = await emotion(["models", "promote", "2", "--force", "--server", server.url, "--json"], {});
    expect(lastJson(promoted), promoted.stderr).toEqual({ version: 2, previous: 1, forced: true });
    await waitForVersion(server, 2);

    c = await listen();
    const after = await ok<ReadingAck>(c, "listener:crop", { v: 1, kind: "face", seq: 100, capturedAt: Date.now(), crop: crops[0] });
    expect(after.quality).toBe("ok");
    c.disconnect();
    const models = ModelsResponse.parse(
      await (await fetch(`${server.url}/api/models?bucketMs=60000&from=${Date.now() - 3_600_000}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json(),
    );
    expect(models.active).toBe(2);
    const byVersion = new Map(models.monitoring.versions.map((v) => [v.version, v.totals]));
    // The reading after the promotion was made (and stored) by version 2; the corrections were of version 1's readings.
    expect(byVersion.get(2)?.readings).toBe(1);
    expect(byVersion.get(1)).toMatchObject({ readings: 6, corrections: 6, correctionRate: 1 });

    const rolled = await emotion(["models", "rollback", "--server", server.url, "--json"], {});
    expect(lastJson(rolled)).toEqual({ version: 1, previous: 2, forced: false });
    await waitForVersion(server, 1);
  }, 900_000);
});
