import { readFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { createDb } from "@emotion/db";
import type { CreatedSession } from "@emotion/protocol";
import { startServerProcess, type ServerProcess } from "@emotion/server/spawn";
import { runHostileRest, runHostileSocket, type HostileTally } from "./hostile";
import { drainAll, ReliableListener } from "./listeners";
import type { ThrowawayPostgres } from "./postgres";

export interface ScenarioResult {
  name: string;
  ok: boolean;
  /** Why it failed, in words (empty when ok). */
  problems: string[];
  listeners: number;
  seconds: number;
  captured: number;
  acked: number;
  stored: number;
  /** Acked readings not in the database: must be 0. */
  lost: number;
  /** The same crop stored twice: must be 0. */
  duplicates: number;
  /** Crops the listeners gave up on (refused for good, or a full outbox). */
  dropped: number;
  /** Crops neither acked nor given up when the run ended (still queued). */
  unacked: number;
  extra: Record<string, unknown>;
}

export interface Context {
  pg: ThrowawayPostgres;
  crops: readonly Uint8Array[];
  log: (line: string) => void;
  serverEnv?: Record<string, string | undefined>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** This process's resident memory in MB from /proc (the spawner's pid is the server's own). */
export function rssMbOf(pid: number): number | null {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
    return Number.isFinite(kb) ? Math.round(kb / 1024) : null;
  } catch {
    return null;
  }
}

async function startServer(ctx: Context, port?: number): Promise<ServerProcess> {
  return startServerProcess({
    port,
    logFile: join(tmpdir(), `emotion-chaos-server-${process.pid}.log`),
    env: { DATABASE_URL: ctx.pg.url, READING_RATE_HZ: "4", LOG_LEVEL: "warn", INFERENCE_THREADS: "1", ...ctx.serverEnv },
  });
}

export async function createSession(url: string, title: string): Promise<CreatedSession> {
  const res = await fetch(`${url}/api/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ title }) });
  if (!res.ok) throw new Error(`POST /api/sessions: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as CreatedSession;
}

async function openListeners(ctx: Context, url: string, session: CreatedSession, n: number, fps: number): Promise<ReliableListener[]> {
  const listeners = Array.from({ length: n }, (_, i) => new ReliableListener(url, session.code, `Chaos ${i + 1}`, ctx.crops[i % ctx.crops.length]!));
  await Promise.all(listeners.map((l) => l.ready()));
  for (const l of listeners) l.startCapture(fps);
  return listeners;
}

/** Acked against stored, per listener, read from the database itself. */
export async function audit(ctx: Context, sessionId: string, listeners: readonly ReliableListener[]) {
  const db = await createDb({ url: ctx.pg.url, migrate: false });
  try {
    let stored = 0;
    let lost = 0;
    let duplicates = 0;
    for (const l of listeners) {
      const seqs = await db.storedSeqs(sessionId, l.participantId!);
      const set = new Set(seqs);
      stored += seqs.length;
      duplicates += seqs.length - set.size;
      for (const seq of l.acked) if (!set.has(seq)) lost++;
    }
    return { stored, lost, duplicates, db };
  } catch (error) {
    await db.close();
    throw error;
  }
}

async function finish(
  ctx: Context,
  name: string,
  started: number,
  sessionId: string,
  listeners: ReliableListener[],
  server: ServerProcess,
  extra: Record<string, unknown>,
  problems: string[],
): Promise<ScenarioResult> {
  for (const l of listeners) l.stopCapture();
  const drained = await drainAll(listeners, 180_000);
  if (!drained) problems.push("listeners still held unacked crops 180 s after the run");
  for (const l of listeners) l.close();
  await server.stop();
  const audited = await audit(ctx, sessionId, listeners);
  await audited.db.close();
  const result = summarise(name, started, listeners, audited, problems, extra);
  ctx.log(
    `${name}: ${result.ok ? "ok" : "FAILED"} — acked ${result.acked}, stored ${result.stored}, lost ${result.lost}, duplicates ${result.duplicates}${problems.length ? ` (${problems.join("; ")})` : ""}`,
  );
  return result;
}

/** The scenario's result from its listeners and the audit: lost, stored twice or dropped readings are problems. */
export function summarise(
  name: string,
  started: number,
  listeners: readonly ReliableListener[],
  { stored, lost, duplicates }: { stored: number; lost: number; duplicates: number },
  problems: string[],
  extra: Record<string, unknown>,
): ScenarioResult {
  const captured = listeners.reduce((n, l) => n + l.captured, 0);
  const acked = listeners.reduce((n, l) => n + l.acked.size, 0);
  const dropped = listeners.reduce((n, l) => n + l.outbox.stats.dropped, 0);
  const unacked = listeners.reduce((n, l) => n + l.outbox.size, 0);
  if (lost) problems.push(`${lost} acked readings are not in the database`);
  if (duplicates) problems.push(`${duplicates} readings stored twice`);
  if (dropped) problems.push(`${dropped} crops dropped by the listeners`);
  const nacks: Record<string, number> = {};
  for (const l of listeners) for (const [k, v] of Object.entries(l.nacks)) nacks[k] = (nacks[k] ?? 0) + v;
  const reconnects = listeners.reduce((n, l) => n + l.reconnects, 0);
  return {
    name,
    ok: problems.length === 0,
    problems,
    listeners: listeners.length,
    seconds: Math.round((Date.now() - started) / 1000),
    captured,
    acked,
    stored,
    lost,
    duplicates,
    dropped,
    unacked,
    extra: { ...extra, reconnects, nacks },
  };
}

/** kill -9 of the server `kills` times at random moments under load; restarted on the same port each time. */
export async function killScenario(ctx: Context, o: { listeners: number; fps: number; seconds: number; kills: number }): Promise<ScenarioResult> {
  const started = Date.now();
  let server = await startServer(ctx);
  const port = server.port;
  const session = await createSession(server.url, "chaos: kill -9");
  const listeners = await openListeners(ctx, server.url, session, o.listeners, o.fps);
  const moments = Array.from({ length: o.kills }, () => 3000 + Math.random() * Math.max(1000, o.seconds * 1000 - 8000)).sort((a, b) => a - b);
  const killedAt: number[] = [];
  for (const at of moments) {
    await sleep(Math.max(0, started + at - Date.now()));
    ctx.log(`  kill -9 of the server (pid ${server.pid}) at ${((Date.now() - started) / 1000).toFixed(1)} s`);
    process.kill(server.pid, "SIGKILL");
    killedAt.push(Math.round((Date.now() - started) / 100) / 10);
    await sleep(300 + Math.random() * 1500);
    server = await startServer(ctx, port);
  }
  await sleep(Math.max(0, started + o.seconds * 1000 - Date.now()));
  return finish(ctx, "kill -9 under load", started, session.id, listeners, server, { kills: killedAt }, []);
}

/** Postgres stopped for `outageSeconds` under load, then started: nothing acked lost, memory bounded. */
export async function outageScenario(ctx: Context, o: { listeners: number; fps: number; outageSeconds: number }): Promise<ScenarioResult> {
  const started = Date.now();
  const server = await startServer(ctx);
  const session = await createSession(server.url, "chaos: database outage");
  const listeners = await openListeners(ctx, server.url, session, o.listeners, o.fps);
  await sleep(5000);
  const rssBefore = rssMbOf(server.pid);
  const ackedBefore = listeners.reduce((n, l) => n + l.acked.size, 0);
  ctx.log(`  stopping Postgres for ${o.outageSeconds} s`);
  await ctx.pg.stop();
  const rss: number[] = [];
  const outageStarted = Date.now();
  while (Date.now() - outageStarted < o.outageSeconds * 1000) {
    await sleep(1000);
    const mb = rssMbOf(server.pid);
    if (mb !== null) rss.push(mb);
  }
  const ackedDuring = listeners.reduce((n, l) => n + l.acked.size, 0) - ackedBefore;
  const queuedAtEnd = listeners.reduce((n, l) => n + l.outbox.size, 0);
  ctx.log(`  starting Postgres again (${queuedAtEnd} crops queued in the listeners)`);
  await ctx.pg.start();
  const recoveredAt = Date.now();
  await sleep(5000);
  for (const l of listeners) l.stopCapture();
  await drainAll(listeners, 180_000);
  const catchUpSeconds = Math.round((Date.now() - recoveredAt) / 1000);
  const problems: string[] = [];
  if (server.crashed) problems.push(server.crashed);
  // Acks are a promise of storage: none may arrive while the database is away (a few stored just before it went are fine).
  const rssMax = Math.max(...rss);
  if (rssBefore && rssMax > rssBefore * 1.5 + 100) problems.push(`server RSS grew from ${rssBefore} MB to ${rssMax} MB during the outage`);
  return finish(
    ctx,
    `Postgres stopped ${o.outageSeconds} s under load`,
    started,
    session.id,
    listeners,
    server,
    { rssBeforeMb: rssBefore, rssMaxDuringOutageMb: rssMax, ackedDuringOutage: ackedDuring, queuedInListenersAtRecovery: queuedAtEnd, catchUpSeconds },
    problems,
  );
}

/**
 * SIGTERM while the database is away: the server must not claim success. It waits SHUTDOWN_TIMEOUT_MS,
 * exits 1 and names how many accepted readings it could not store; those were never acked, so the
 * listeners still hold them and store them through the next server once the database is back.
 */
export async function shutdownScenario(ctx: Context, o: { listeners: number; fps: number }): Promise<ScenarioResult> {
  const started = Date.now();
  const first = await startServerProcess({
    logFile: join(tmpdir(), `emotion-chaos-server-${process.pid}.log`),
    env: { DATABASE_URL: ctx.pg.url, READING_RATE_HZ: "4", LOG_LEVEL: "warn", INFERENCE_THREADS: "1", SHUTDOWN_TIMEOUT_MS: "2000", ...ctx.serverEnv },
  });
  const session = await createSession(first.url, "chaos: shutdown during an outage");
  const listeners = await openListeners(ctx, first.url, session, o.listeners, o.fps);
  await sleep(3000);
  await ctx.pg.stop();
  await sleep(2000);
  const exit = await first.stop();
  const problems: string[] = [];
  const unstored = Number(/exiting with (\d+) accepted readings not stored/.exec(first.output)?.[1] ?? 0);
  if (exit.code !== 1) problems.push(`SIGTERM with the database away exited with ${JSON.stringify(exit)}, not code 1`);
  if (!unstored) problems.push("the server did not say how many accepted readings it could not store");
  await ctx.pg.start();
  const second = await startServer(ctx, first.port);
  await sleep(3000);
  return finish(ctx, "SIGTERM during a database outage", started, session.id, listeners, second, { exitCode: exit.code, unstoredAtExit: unstored }, problems);
}

/** A hostile client (socket and REST) beside normal listeners: nobody else harmed, nothing hostile stored, no 5xx. */
export async function hostileScenario(
  ctx: Context,
  o: { listeners: number; fps: number; socketPayloads: number; restRequests: number; minSeconds: number },
): Promise<ScenarioResult> {
  const started = Date.now();
  const server = await startServer(ctx, undefined);
  const session = await createSession(server.url, "chaos: hostile client");
  const listeners = await openListeners(ctx, server.url, session, o.listeners, o.fps);
  const tally: HostileTally = { socketPayloads: 0, socketAnswers: {}, restRequests: 0, restStatuses: {}, rest5xx: [], socketInternal: [] };
  const [{ participantId: hostileId }] = await Promise.all([
    runHostileSocket(server.url, session.code, o.socketPayloads, tally),
    runHostileRest(server.url, session, o.restRequests, tally),
  ]);
  // The normal listeners go on streaming for a while after the attack: the damage may show late.
  await sleep(Math.max(0, started + o.minSeconds * 1000 - Date.now()));
  const problems: string[] = [];
  if (server.crashed) problems.push(server.crashed);
  const health = await fetch(`${server.url}/health`).then(
    (r) => r.status,
    () => 0,
  );
  if (health !== 200) problems.push(`GET /health answered ${health} after the hostile client`);
  if (tally.rest5xx.length) problems.push(`${tally.rest5xx.length} REST answers with 5xx: ${JSON.stringify(tally.rest5xx.slice(0, 5))}`);
  if (tally.socketInternal.length)
    problems.push(`${tally.socketInternal.length} socket answers coded INTERNAL: ${JSON.stringify(tally.socketInternal.slice(0, 3))}`);
  let hostileStored = 0;
  if (hostileId) {
    const db = await createDb({ url: ctx.pg.url, migrate: false });
    hostileStored = (await db.participantTimeline(session.id, hostileId)).length;
    await db.close();
  }
  if (hostileStored) problems.push(`${hostileStored} readings of the hostile client were stored`);
  return finish(
    ctx,
    "hostile client beside normal listeners",
    started,
    session.id,
    listeners,
    server,
    { ...tally, hostileStored, healthAfter: health },
    problems,
  );
}

/** The long run: many listeners for many minutes; RSS growth and loss (a benchmark, not CI). */
export async function soakScenario(ctx: Context, o: { listeners: number; fps: number; minutes: number }): Promise<ScenarioResult> {
  const started = Date.now();
  const server = await startServer(ctx);
  const session = await createSession(server.url, "chaos: soak");
  const listeners = await openListeners(ctx, server.url, session, o.listeners, o.fps);
  const rss: Array<[number, number]> = [];
  while (Date.now() - started < o.minutes * 60_000) {
    await sleep(10_000);
    const mb = rssMbOf(server.pid);
    if (mb !== null) rss.push([Math.round((Date.now() - started) / 1000), mb]);
    ctx.log(`  ${Math.round((Date.now() - started) / 1000)} s: RSS ${mb} MB, acked ${listeners.reduce((n, l) => n + l.acked.size, 0)}`);
  }
  // Growth: the last tenth of the run against the second tenth (after warm-up).
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const tenth = Math.max(1, Math.floor(rss.length / 10));
  const early = mean(rss.slice(tenth, 2 * tenth).map(([, mb]) => mb));
  const late = mean(rss.slice(-tenth).map(([, mb]) => mb));
  const growth = early ? late / early - 1 : 0;
  const problems = growth >= 0.1 ? [`RSS grew ${(growth * 100).toFixed(1)} % (${early.toFixed(0)} → ${late.toFixed(0)} MB)`] : [];
  return finish(
    ctx,
    `soak ${o.listeners} listeners × ${o.fps}/s for ${o.minutes} min`,
    started,
    session.id,
    listeners,
    server,
    { rssEarlyMb: Math.round(early), rssLateMb: Math.round(late), rssGrowthPct: Math.round(growth * 1000) / 10, rss },
    problems,
  );
}
