import { AppError, clientEventSchemas, MAX_FRAME_BYTES } from "@emotion/protocol";
import type { FastifyInstance } from "fastify";
import { Server } from "socket.io";
import { availableParallelism } from "node:os";
import { createBatcher } from "./batcher";
import { classifyInRuns, createInferencePool, inferenceWorkersFor } from "./inference-pool";
import { joinCluster } from "./cluster";
import { LiveHub } from "./hub";
import { registerListenerEvents } from "./listener.events";
import { registerSpeakerEvents } from "./speaker.events";
import type { AppServer } from "./types";
import { createReadingWriter } from "./writer";

/**
 * Socket.IO on Fastify's HTTP server (path /socket.io). Returns the hub; the app closes everything in
 * order on shutdown: sockets, then queued classifications, then the readings buffer.
 */
export async function attachLive(app: FastifyInstance): Promise<LiveHub> {
  const { config, db, log } = app;
  const io: AppServer = new Server(app.server, {
    path: "/socket.io",
    // A JPEG fallback frame plus framing; crops are 2.3 kB.
    maxHttpBufferSize: MAX_FRAME_BYTES + 64 * 1024,
    serveClient: false,
    // No connectionStateRecovery: a listener that reconnects resumes explicitly (participantId + token),
    // which also works when it lands on another instance.
  });
  // Cluster mode (REDIS_URL): before any socket connects, so every broadcast goes through the adapter.
  const cluster = await joinCluster({ io, redisUrl: config.REDIS_URL, instanceId: config.INSTANCE_ID, log });
  const classifyInProcess = async (crops: Uint8Array[]) => {
    const vision = app.vision.current;
    if (!vision) throw new Error("the model is not loaded");
    const modelVersion = app.vision.model?.version;
    const results = await classifyInRuns((run) => vision.classify(run), crops);
    return modelVersion === undefined ? results : results.map((r) => ({ ...r, modelVersion }));
  };
  const workers = inferenceWorkersFor(availableParallelism(), config.INFERENCE_THREADS);
  const pool = createInferencePool({
    size: workers,
    threads: Math.max(1, Math.floor(config.INFERENCE_THREADS / Math.max(1, workers))),
    providers: config.INFERENCE_PROVIDERS,
    fallback: classifyInProcess,
    model: () => (app.vision.current ? app.vision.model : null),
    jobTimeoutMs: config.INFERENCE_JOB_TIMEOUT_MS,
    log,
  });
  // Two batches in flight per worker: the next one already waits in the worker's queue when the current
  // one finishes, so a worker never idles through a round trip to this thread.
  const batcher = createBatcher({
    classify: (crops) => pool.classify(crops),
    maxBatch: config.BATCH_MAX,
    waitMs: config.BATCH_WAIT_MS,
    concurrency: Math.max(1, 2 * workers),
  });
  const writer = createReadingWriter({
    insert: (rows) => db.insertReadings(rows),
    // Group commit: a listener is acked only once its reading is committed, so the interval is the price
    // of an ack (COMMIT_INTERVAL_MS, 200 ms by default). Each insert also bumps every listener's
    // readings_count, so fewer, larger inserts cost less CPU per row (27 vs 50 µs per row measured with
    // 500 listeners at one insert a second against four).
    intervalMs: config.COMMIT_INTERVAL_MS,
    maxRows: 4000,
    onError: (err, pending) => log.error({ err, pending }, "storing readings failed (database unreachable); keeping them and retrying"),
    onQuarantine: (row, err) =>
      log.error(
        { err, sessionId: row.sessionId, participantId: row.participantId, seq: row.seq, capturedAt: row.capturedAt, tMs: row.tMs },
        "reading refused by the database; quarantined, the rest of its batch is stored",
      ),
  });
  const hub = new LiveHub({
    io,
    db,
    batcher,
    writer,
    log,
    rateHz: config.READING_RATE_HZ,
    maxPendingRows: config.MAX_PENDING_READINGS,
    temporal: app.temporal,
    cluster,
    pool,
    modelVersion: () => app.vision.model?.version ?? null,
  });
  const deps = {
    db,
    hub,
    batcher,
    vision: app.vision,
    rateHz: config.READING_RATE_HZ,
    log,
    maxListeners: config.MAX_LISTENERS_PER_SESSION,
    // One budget for guessing codes, whether over REST or the socket.
    joinGuard: app.joinGuard,
    warmUpInference: () => void (app.vision.current && pool.warmUp()),
  };

  // Connections per client address: one address cannot take all the sockets a process can hold.
  const socketsPerAddress = new Map<string, number>();
  io.use((socket, next) => {
    const address = socket.handshake.address;
    const count = socketsPerAddress.get(address) ?? 0;
    if (count >= config.MAX_SOCKETS_PER_IP)
      return next(new Error(`RATE_LIMITED: too many connections from this address (MAX_SOCKETS_PER_IP=${config.MAX_SOCKETS_PER_IP})`));
    socketsPerAddress.set(address, count + 1);
    socket.once("disconnect", () => {
      const left = (socketsPerAddress.get(address) ?? 1) - 1;
      if (left > 0) socketsPerAddress.set(address, left);
      else socketsPerAddress.delete(address);
    });
    next();
  });

  io.on("connection", (socket) => {
    // An event no handler knows still gets an answer when it asks for one, rather than a silent timeout.
    socket.onAny((event: string, ...args: unknown[]) => {
      const ack = args.at(-1);
      if (event in clientEventSchemas || typeof ack !== "function") return;
      const error = new AppError("NOT_FOUND", `no event ${String(event).slice(0, 40)}; see ClientToServerEvents in packages/protocol`);
      (ack as (response: unknown) => void)({ ok: false, ...error.toBody() });
    });
    registerListenerEvents(socket, deps);
    registerSpeakerEvents(socket, deps);
    socket.emit("session:config", { rateHz: config.READING_RATE_HZ });
  });

  // Shutdown: refuse new crops (listeners keep them and re-send after reconnecting elsewhere), finish the
  // classifications under way, store what was accepted (acks still reach the sockets), then disconnect.
  app.addHook("preClose", async () => {
    hub.isClosing = true;
    await batcher.drain();
    const left = await writer.close(config.SHUTDOWN_TIMEOUT_MS);
    if (left) log.error({ unstored: left }, `${left} accepted readings could not be stored before shutdown (their listeners were not acked and keep them)`);
    hub.unstoredAtClose = left;
    // This instance's sockets only: in cluster mode io.disconnectSockets would reach every instance's.
    io.local.disconnectSockets(true);
  });
  app.addHook("onClose", async () => {
    await pool.close();
    hub.close();
    io.engine.close();
    await cluster.close();
  });
  return hub;
}
