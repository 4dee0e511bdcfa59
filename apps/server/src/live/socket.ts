import { MAX_FRAME_BYTES } from "@emotion/protocol";
import type { FastifyInstance } from "fastify";
import { Server } from "socket.io";
import { availableParallelism } from "node:os";
import { createBatcher } from "./batcher";
import { classifyInRuns, createInferencePool, inferenceWorkersFor } from "./inference-pool";
import { LiveHub } from "./hub";
import { registerListenerEvents } from "./listener.events";
import { registerSpeakerEvents } from "./speaker.events";
import type { AppServer } from "./types";
import { createReadingWriter } from "./writer";

/**
 * Socket.IO on Fastify's HTTP server (path /socket.io). Returns the hub; the app closes everything in
 * order on shutdown: sockets, then queued classifications, then the readings buffer.
 */
export function attachLive(app: FastifyInstance): LiveHub {
  const { config, db, log } = app;
  const io: AppServer = new Server(app.server, {
    path: "/socket.io",
    // A JPEG fallback frame plus framing; crops are 2.3 kB.
    maxHttpBufferSize: MAX_FRAME_BYTES + 64 * 1024,
    serveClient: false,
    // No connectionStateRecovery: a listener that reconnects resumes explicitly (participantId + token),
    // which also works when it lands on another instance.
  });
  const classifyInProcess = (crops: Uint8Array[]) => {
    const vision = app.vision.current;
    if (!vision) return Promise.reject(new Error("the model is not loaded"));
    return classifyInRuns((run) => vision.classify(run), crops);
  };
  const workers = inferenceWorkersFor(availableParallelism(), config.INFERENCE_THREADS);
  const pool = createInferencePool({
    size: workers,
    threads: Math.max(1, Math.floor(config.INFERENCE_THREADS / Math.max(1, workers))),
    fallback: classifyInProcess,
    expectedCard: () => app.vision.current?.card ?? null,
    log,
  });
  // Two batches in flight per worker: the next one already waits in the worker's queue when the current
  // one finishes, so a worker never idles through a round trip to this thread.
  const batcher = createBatcher({ classify: (crops) => pool.classify(crops), maxBatch: config.BATCH_MAX, waitMs: config.BATCH_WAIT_MS, concurrency: Math.max(1, 2 * workers) });
  const writer = createReadingWriter({
    insert: (rows) => db.insertReadings(rows),
    // Embedded PGlite inserts on this thread, and each insert also bumps every listener's readings_count:
    // one insert a second costs about half the CPU per row of four (measured 27 vs 50 µs per row with 500
    // listeners) and blocks the event loop ~55 ms once a second instead of ~25 ms four times.
    intervalMs: 1000,
    maxRows: 4000,
    onError: (err, pending) => log.error({ err, pending }, "storing readings failed; keeping them and retrying"),
  });
  const hub = new LiveHub({ io, db, batcher, writer, log, rateHz: config.READING_RATE_HZ });
  const deps = { db, hub, batcher, vision: app.vision, rateHz: config.READING_RATE_HZ, log, warmUpInference: () => void (app.vision.current && pool.warmUp()) };

  io.on("connection", (socket) => {
    registerListenerEvents(socket, deps);
    registerSpeakerEvents(socket, deps);
    socket.emit("session:config", { rateHz: config.READING_RATE_HZ });
  });

  app.addHook("preClose", async () => {
    io.disconnectSockets(true);
  });
  app.addHook("onClose", async () => {
    await batcher.drain();
    await pool.close();
    hub.close();
    await writer.close();
    if (writer.pending) log.error({ pending: writer.pending }, "readings could not be stored before shutdown");
    io.engine.close();
  });
  return hub;
}
