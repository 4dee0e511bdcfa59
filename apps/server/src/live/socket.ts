import { MAX_FRAME_BYTES } from "@emotion/protocol";
import type { FastifyInstance } from "fastify";
import { Server } from "socket.io";
import { createBatcher } from "./batcher";
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
  const batcher = createBatcher({
    classify: (crops) => {
      const vision = app.vision.current;
      if (!vision) return Promise.reject(new Error("the model is not loaded"));
      return vision.classify(crops);
    },
    maxBatch: config.BATCH_MAX,
    waitMs: config.BATCH_WAIT_MS,
  });
  const writer = createReadingWriter({
    insert: (rows) => db.insertReadings(rows),
    onError: (err, pending) => log.error({ err, pending }, "storing readings failed; keeping them and retrying"),
  });
  const hub = new LiveHub({ io, db, batcher, writer, log, rateHz: config.READING_RATE_HZ });
  const deps = { db, hub, batcher, vision: app.vision, rateHz: config.READING_RATE_HZ, log };

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
    hub.close();
    await writer.close();
    if (writer.pending) log.error({ pending: writer.pending }, "readings could not be stored before shutdown");
    io.engine.close();
  });
  return hub;
}
