import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { io, type Socket } from "socket.io-client";
import type { ClientToServerEvents, CreatedSession, RoomMood, ServerToClientEvents, UploadProgress } from "@emotion/protocol";
import { startServerProcess, type ServerProcess } from "@emotion/server/spawn";
import { makeTwoFaceVideo } from "@emotion/vision/testing";
import { drainAll, ReliableListener } from "./listeners";
import { audit, createSession, summarise, type Context, type ScenarioResult } from "./scenarios";
import { startHaproxy, startRedis, type Service } from "./services";

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;
type AckResponse<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function unwrap<T>(response: AckResponse<T>): T {
  if (response.ok) return response.data;
  throw Object.assign(new Error(`${response.error.code}: ${response.error.message}`), { code: response.error.code });
}

async function connectClient(url: string): Promise<Client> {
  const socket: Client = io(url, { transports: ["websocket"], forceNew: true, reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
  return socket;
}

/** A speaker's dashboard socket on one instance, keeping what it was pushed. */
async function openSpeaker(url: string, session: CreatedSession) {
  const socket = await connectClient(url);
  const moods: Array<{ at: number; mood: RoomMood }> = [];
  const markers: string[] = [];
  const uploads: UploadProgress[] = [];
  const statuses: string[] = [];
  socket.on("session:mood", (mood) => moods.push({ at: Date.now(), mood }));
  socket.on("session:marker", (m) => markers.push(m.label));
  socket.on("upload:progress", (p) => uploads.push(p));
  socket.on("session:status", (s) => statuses.push(s.status));
  unwrap(await socket.timeout(5000).emitWithAck("speaker:join", { v: 1, sessionId: session.id, speakerToken: session.speakerToken }));
  return { socket, moods, markers, uploads, statuses };
}

/** Waits for `test` to hold, polling; answers how long it took, or null at the deadline. */
async function waitFor(test: () => boolean, timeoutMs: number): Promise<number | null> {
  const started = Date.now();
  while (!test()) {
    if (Date.now() - started > timeoutMs) return null;
    await sleep(25);
  }
  return Date.now() - started;
}

const percentile = (values: number[], p: number) => {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

/**
 * Two server processes on one Postgres, sharing Redis, behind HAProxy with the deployment's own
 * configuration (infra/haproxy/haproxy.cfg):
 *  - a listener on B shows on the dashboard of a speaker on A (tile, state, room mood), with its latency;
 *  - a marker added on A reaches a speaker on B; ending a session on A makes B refuse crops within 1 s;
 *  - an upload sent to A reports progress to a speaker on B, and its status answers through B;
 *  - listeners through the balancer, `kill -9` of B: they reconnect through it to A, resume, and no acked
 *    reading is lost or stored twice.
 * The two instances start at the same moment on an empty database (migrations under an advisory lock).
 */
export async function clusterScenario(ctx: Context, o: { listeners: number; fps: number; seconds: number }): Promise<ScenarioResult> {
  const started = Date.now();
  const problems: string[] = [];
  const extra: Record<string, unknown> = {};
  const services: Service[] = [];
  const servers: ServerProcess[] = [];
  const clients: Client[] = [];
  const dir = mkdtempSync(join(tmpdir(), "emotion-chaos-cluster-"));
  let listeners: ReliableListener[] = [];
  try {
    const [redis, dbUrl] = await Promise.all([startRedis(), ctx.pg.createDatabase(`cluster_${Date.now()}`)]);
    services.push(redis);
    const dbCtx: Context = { ...ctx, pg: { ...ctx.pg, url: dbUrl } };
    const start = (id: string, port?: number) =>
      startServerProcess({
        port,
        logFile: join(tmpdir(), `emotion-chaos-cluster-${id}-${process.pid}.log`),
        env: { DATABASE_URL: dbUrl, REDIS_URL: redis.url, INSTANCE_ID: id, READING_RATE_HZ: "4", LOG_LEVEL: "warn", INFERENCE_THREADS: "1", ...ctx.serverEnv },
      });
    // Together, as a Deployment's replicas start: both migrate the empty database, one at a time.
    const [a, b] = await Promise.all([start("a"), start("b")]);
    servers.push(a, b);
    const lb = await startHaproxy([`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`]);
    services.push(lb);
    ctx.log(`  instances a ${a.url} and b ${b.url}, Redis ${redis.url}, HAProxy ${lb.url}`);

    // 1. A listener on B, the speaker on A.
    const session = await createSession(a.url, "chaos: cluster");
    const speakerA = await openSpeaker(a.url, session);
    const speakerB = await openSpeaker(b.url, session);
    clients.push(speakerA.socket, speakerB.socket);
    const onB = new ReliableListener(b.url, session.code, "On B", ctx.crops[0]!);
    await onB.ready();
    onB.startCapture(o.fps);
    const tileOf = (id: string) => speakerA.moods.at(-1)?.mood.tiles.find((t) => t.id === id);
    const seenMs = await waitFor(() => tileOf(onB.participantId!)?.presence === "face" && speakerA.moods.at(-1)!.mood.presentCount === 1, 10_000);
    if (seenMs === null) problems.push("the speaker on A never saw the listener on B with a face");
    extra.listenerOnBSeenOnAMs = seenMs;
    await sleep(4000);
    // Capture to what A's dashboard draws: each mood whose tile shows a newer capture than the last one.
    const latencies: number[] = [];
    let lastCapture = 0;
    for (const { at, mood } of speakerA.moods) {
      const captured = mood.tiles.find((t) => t.id === onB.participantId)?.capturedAt;
      if (captured && captured > lastCapture) latencies.push(at - captured);
      if (captured) lastCapture = Math.max(lastCapture, captured);
    }
    extra.captureToDashboardAcrossInstancesMs = { p50: percentile(latencies, 50), p95: percentile(latencies, 95), n: latencies.length };
    await onB.setState("paused");
    const pausedMs = await waitFor(() => tileOf(onB.participantId!)?.presence === "paused", 5000);
    if (pausedMs === null) problems.push("A's dashboard never showed B's listener as paused");
    extra.stateOnBSeenOnAMs = pausedMs;
    await onB.setState("active");

    // 2. A marker through A reaches B's speaker.
    unwrap(await speakerA.socket.timeout(5000).emitWithAck("speaker:marker", { v: 1, label: "cluster marker" }));
    const markerMs = await waitFor(() => speakerB.markers.includes("cluster marker"), 5000);
    if (markerMs === null) problems.push("a marker added on A never reached the speaker on B");
    extra.markerOnAToSpeakerOnBMs = markerMs;

    // 3. An upload sent to A: progress reaches the speaker on B, and B answers its status.
    const video = readFileSync(await makeTwoFaceVideo(dir));
    const form = new FormData();
    form.append("video", new Blob([video], { type: "video/mp4" }), "cluster.mp4");
    const res = await fetch(`${a.url}/api/sessions/${session.id}/uploads`, {
      method: "POST",
      headers: { authorization: `Bearer ${session.speakerToken}` },
      body: form,
    });
    if (res.status !== 202) problems.push(`upload through A: HTTP ${res.status} ${await res.text()}`);
    else {
      const { uploadId } = (await res.json()) as { uploadId: string };
      const doneMs = await waitFor(() => speakerB.uploads.some((p) => p.uploadId === uploadId && p.status === "done"), 120_000);
      if (doneMs === null) problems.push(`the speaker on B never heard that upload ${uploadId} was done (got ${speakerB.uploads.length} progress events)`);
      const status = await fetch(`${b.url}/api/uploads/${uploadId}`, { headers: { authorization: `Bearer ${session.speakerToken}` } });
      const body = (await status.json()) as { status?: string };
      if (body.status !== "done") problems.push(`GET /api/uploads/${uploadId} through B: ${JSON.stringify(body)}`);
      extra.upload = { progressEventsOnB: speakerB.uploads.filter((p) => p.uploadId === uploadId).length, doneMs };
    }

    // 4. Ending on A: B refuses the next crop within 1 s.
    const raw = await connectClient(b.url);
    clients.push(raw);
    unwrap(await raw.timeout(5000).emitWithAck("listener:join", { v: 1, code: session.code, name: "Raw on B" }));
    onB.stopCapture();
    await drainAll([onB], 30_000);
    onB.close();
    unwrap(await speakerA.socket.timeout(5000).emitWithAck("speaker:end", { v: 1 }));
    const endedAt = Date.now();
    let refusedMs: number | null = null;
    for (let seq = 0; Date.now() - endedAt < 5000; seq++) {
      const ack = (await raw
        .timeout(5000)
        .emitWithAck("listener:crop", { v: 1, kind: "face", seq, capturedAt: Date.now(), crop: ctx.crops[0]! })) as AckResponse<unknown>;
      if (!ack.ok && ack.error.code === "SESSION_ENDED") {
        refusedMs = Date.now() - endedAt;
        break;
      }
      await sleep(20);
    }
    if (refusedMs === null || refusedMs > 1000) problems.push(`B still accepted crops ${refusedMs ?? "5000+"} ms after the session ended on A`);
    extra.endOnAToRefusalOnBMs = refusedMs;
    const { lost: lostOnB } = await audit(dbCtx, session.id, [onB]).then(async (r) => (await r.db.close(), r));
    if (lostOnB) problems.push(`${lostOnB} acked readings of the listener on B are not stored`);

    // 5. Listeners through the balancer; kill -9 of B halfway.
    const loadSession = await createSession(lb.url, "chaos: cluster kill");
    const speaker = await openSpeaker(a.url, loadSession);
    clients.push(speaker.socket);
    listeners = Array.from(
      { length: o.listeners },
      (_, i) => new ReliableListener(lb.url, loadSession.code, `Balanced ${i + 1}`, ctx.crops[i % ctx.crops.length]!),
    );
    await Promise.all(listeners.map((l) => l.ready()));
    for (const l of listeners) l.startCapture(o.fps);
    const allSeenMs = await waitFor(() => speaker.moods.at(-1)?.mood.presentCount === o.listeners, 15_000);
    if (allSeenMs === null)
      problems.push(
        `the speaker on A saw ${speaker.moods.at(-1)?.mood.presentCount ?? 0} of ${o.listeners} balanced listeners with a face (${JSON.stringify(speaker.moods.at(-1)?.mood.tiles.map((t) => t.presence))})`,
      );
    const perInstance = await Promise.all(servers.map((s) => fetch(`${s.url}/health`).then((r) => r.json() as Promise<{ readings: { stored: number } }>)));
    extra.storedPerInstanceBeforeKill = perInstance.map((h) => h.readings.stored);
    await sleep((o.seconds * 1000) / 2);
    ctx.log(`  kill -9 of instance b (pid ${b.pid})`);
    process.kill(b.pid, "SIGKILL");
    const killedAt = Date.now();
    // Every listener acked again after the kill: those that were on B reconnected through the balancer to A.
    const resumedMs = await waitFor(() => listeners.every((l) => l.lastAckAt > killedAt), 60_000);
    if (resumedMs === null) problems.push(`${listeners.filter((l) => l.lastAckAt <= killedAt).length} listeners had no crop acked within 60 s of B's death`);
    extra.everyListenerAckedAgainAfterKillMs = resumedMs;
    await sleep(Math.max(0, killedAt + (o.seconds * 1000) / 2 - Date.now()));
    const backMs = await waitFor(() => speaker.moods.at(-1)?.mood.presentCount === o.listeners, 30_000);
    if (backMs === null) problems.push(`after B died the speaker saw ${speaker.moods.at(-1)?.mood.presentCount ?? 0} of ${o.listeners} listeners`);
    for (const l of listeners) l.stopCapture();
    if (!(await drainAll(listeners, 120_000))) problems.push("balanced listeners still held unacked crops 120 s after the run");
    const reconnects = listeners.reduce((n, l) => n + l.reconnects, 0);
    if (reconnects === 0) problems.push("no listener was on B (none reconnected): the balancer did not spread them");
    for (const l of listeners) l.close();
    const audited = await audit(dbCtx, loadSession.id, listeners);
    await audited.db.close();
    const result = summarise("cluster: two instances, Redis, HAProxy, kill -9 of one", started, listeners, audited, problems, extra);
    ctx.log(`cluster: ${result.ok ? "ok" : "FAILED"} — ${JSON.stringify(extra)}${problems.length ? ` (${problems.join("; ")})` : ""}`);
    return result;
  } finally {
    for (const l of listeners) l.close();
    for (const c of clients) c.disconnect();
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
    await Promise.all(services.map((s) => s.stop().catch(() => undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
}
