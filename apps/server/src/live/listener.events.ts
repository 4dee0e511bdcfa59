import type { Db } from "@emotion/db";
import { AppError, type ReadingAck } from "@emotion/protocol";
import type { Vision } from "@emotion/vision";
import { decodeImage } from "@emotion/vision/node";
import type { FastifyBaseLogger } from "fastify";
import { generateToken, hashToken, isTokenValid, normaliseCode } from "../sessions";
import type { Batcher } from "./batcher";
import type { LiveHub, NewReading } from "./hub";
import { registerFeedbackEvents } from "./feedback.events";
import { registerEvent, type Payload } from "./register";
import type { JoinGuard } from "../sessions/join-guard";
import { listenersRoom, type AppSocket } from "./types";
import { QuarantinedRowError } from "./writer";

export interface ListenerDeps {
  db: Db;
  hub: LiveHub;
  batcher: Batcher;
  vision: { current: Vision | null };
  rateHz: number;
  log: FastifyBaseLogger;
  /** Listeners (not left) one session admits. */
  maxListeners?: number;
  /** Counts failed join attempts per client address (shared with the REST join lookup); refuses an address that made too many. */
  joinGuard?: Pick<JoinGuard, "check" | "fail">;
  /** Gets the inference workers going before the first crop arrives. */
  warmUpInference?: () => void;
}

// JPEG fallback frames are small by contract (MAX_FRAME_BYTES); this bounds their decoded size too.
const MAX_FRAME_PIXELS = 1920 * 1080;
/** Acks a listener's socket remembers, so a re-send of a crop already stored is answered without work. */
const RECENT_ACKS = 64;
/** New participants one session creates, as a multiple of its listener cap (a join/leave loop stops here). */
const PARTICIPANTS_PER_LISTENER_SLOT = 5;

/** Listener events: join (or resume), crops, state, leave; disconnect counts as leaving. */
export function registerListenerEvents(socket: AppSocket, deps: ListenerDeps): void {
  const { db, hub, log } = deps;

  registerEvent(
    socket,
    "listener:join",
    async (p) => {
      const address = socket.handshake.address;
      deps.joinGuard?.check(address);
      deps.warmUpInference?.();
      const session = await db.getSessionByCode(normaliseCode(p.code));
      if (!session) {
        deps.joinGuard?.fail(address);
        throw new AppError("NOT_FOUND", `no session with code ${p.code}`);
      }
      if (session.status === "ended") throw new AppError("SESSION_ENDED", "this session has ended");
      if (socket.data.listener) await leave(socket, deps);

      let participant = null;
      let token = p.participantToken ?? "";
      if (p.participantId && token) {
        const known = await db.getParticipant(p.participantId);
        if (known && known.sessionId === session.id) {
          if (!isTokenValid(token, known.tokenHash)) throw new AppError("FORBIDDEN", "the participant token does not match; join without participantId");
          participant = await db.resumeParticipant(known.id);
        }
      }
      const room = await hub.room(session.id);
      if (!room) throw new AppError("NOT_FOUND", `no session with code ${p.code}`);
      const max = deps.maxListeners ?? Infinity;
      const isPresent = participant !== null && room.listeners.get(participant.id)?.hasLeft === false;
      if (!isPresent && room.presentListeners() >= max)
        throw new AppError("SESSION_FULL", `this session is full (${max} listeners, MAX_LISTENERS_PER_SESSION)`);
      if (!participant && room.listeners.size >= max * PARTICIPANTS_PER_LISTENER_SLOT)
        throw new AppError(
          "SESSION_FULL",
          `this session has admitted ${room.listeners.size} participants, its limit (${PARTICIPANTS_PER_LISTENER_SLOT} × MAX_LISTENERS_PER_SESSION)`,
        );
      if (!participant) {
        token = generateToken();
        // Joining is the listener accepting the consent screen, so consent is recorded now.
        participant = await db.joinParticipant({ sessionId: session.id, name: p.name, tokenHash: hashToken(token), consentAt: new Date() });
      }
      const status = session.status === "scheduled" ? await hub.setStatus(session.id, "live") : session.status;
      room.upsert({
        id: participant.id,
        name: participant.name,
        joinedAt: participant.joinedAt.getTime(),
        socketId: socket.id,
        hasLeft: false,
        leftAt: undefined,
        state: "active",
      });
      socket.data.listener = { sessionId: session.id, participantId: participant.id };
      hub.announceListener(room, participant.id);
      await socket.join(listenersRoom(session.id));
      return {
        participantId: participant.id,
        participantToken: token,
        name: participant.name,
        sessionId: session.id,
        title: session.title,
        status,
        rateHz: deps.rateHz,
      };
    },
    log,
  );

  registerEvent(
    socket,
    "listener:crop",
    async (p) => {
      const receivedAt = Date.now();
      const listener = await findListener(socket, deps);
      const key = `${listener.participantId}:${p.seq}:${p.capturedAt}`;
      const acks = (socket.data.recentAcks ??= new Map());
      const known = acks.get(key);
      if (known) return known;
      const ack = await deps.hub.once(key, () => handleCrop(socket, p, deps, listener, receivedAt));
      acks.set(key, ack);
      if (acks.size > RECENT_ACKS) acks.delete(acks.keys().next().value!);
      return ack;
    },
    log,
  );

  registerEvent(
    socket,
    "listener:state",
    async (p) => {
      const { room, participantId } = await findListener(socket, deps);
      const entry = room.listeners.get(participantId);
      if (entry) entry.state = p.state;
      hub.announceListener(room, participantId);
      return null;
    },
    log,
  );

  registerEvent(
    socket,
    "listener:leave",
    async () => {
      await leave(socket, deps);
      return null;
    },
    log,
  );

  registerFeedbackEvents(socket, deps);

  socket.on("disconnect", () => {
    leave(socket, deps).catch((err: unknown) => log.error({ err }, "could not record a listener leaving"));
  });
}

async function findListener(socket: AppSocket, { hub }: ListenerDeps) {
  const who = socket.data.listener;
  if (!who) throw new AppError("UNAUTHORIZED", "join a session first (listener:join)");
  const room = await hub.room(who.sessionId);
  if (!room) throw new AppError("NOT_FOUND", "the session no longer exists");
  return { room, participantId: who.participantId };
}

async function leave(socket: AppSocket, deps: ListenerDeps): Promise<void> {
  const who = socket.data.listener;
  if (!who) return;
  socket.data.listener = undefined;
  await socket.leave(listenersRoom(who.sessionId));
  const room = await deps.hub.room(who.sessionId);
  const entry = room?.listeners.get(who.participantId);
  // A resumed listener may already sit on a newer socket; only that one's end counts.
  if (entry && entry.socketId !== socket.id) return;
  if (entry) {
    Object.assign(entry, { socketId: null, hasLeft: true, leftAt: Date.now() });
    deps.hub.announceListener(room!, who.participantId);
  }
  await deps.db.leaveParticipant(who.participantId);
}

function takeToken(socket: AppSocket, rateHz: number, now: number): boolean {
  // Three times the asked rate with a small burst: clients jitter and re-send what queued up during an
  // outage (catching up at twice the live rate), but a runaway one cannot flood the batcher.
  const rate = rateHz * 3;
  const burst = Math.max(12, rate);
  const b = (socket.data.bucket ??= { tokens: burst, at: now });
  b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
  b.at = now;
  if (b.tokens < 1) return false;
  b.tokens--;
  return true;
}

async function handleCrop(
  socket: AppSocket,
  p: Payload<"listener:crop">,
  deps: ListenerDeps,
  { room, participantId }: Awaited<ReturnType<typeof findListener>>,
  receivedAt: number,
): Promise<ReadingAck> {
  if (room.status === "ended") throw new AppError("SESSION_ENDED", "this session has ended");
  if (!takeToken(socket, deps.rateHz, Date.now())) throw new AppError("RATE_LIMITED", `send at most ${deps.rateHz} readings per second`);
  const refusal = deps.hub.refusal();
  if (refusal) throw refusal;

  let reading: Omit<NewReading, "serverAt" | "seq" | "capturedAt">;
  if (p.kind === "no_face") {
    reading = { quality: p.reason ?? "no_face", dominant: null, probabilities: null, confidence: null };
  } else {
    const vision = deps.vision.current;
    if (!vision) throw new AppError("NOT_READY", "the model is not loaded");
    let crop: Uint8Array | null = p.kind === "face" ? p.crop : null;
    reading = { quality: "no_face", dominant: null, probabilities: null, confidence: null };
    if (p.kind === "frame") {
      const image = await decodeImage(p.jpeg, { maxPixels: MAX_FRAME_PIXELS }).catch((err: unknown) => {
        throw err instanceof AppError ? err : new AppError("CORRUPT_IMAGE", "jpeg: the frame could not be decoded");
      });
      const [face] = await vision.detectFaces(image, { maxFaces: 1 });
      if (face) {
        const c = vision.cropFace(image, face);
        if (c.quality.ok) crop = c.pixels;
        else reading.quality = c.quality.reason ?? "no_face";
      }
    }
    if (crop) {
      const r = await deps.batcher.classify(crop);
      reading = { quality: "ok", dominant: r.dominant, probabilities: r.probabilities, confidence: r.confidence, modelVersion: r.modelVersion };
    }
  }
  const smoothed = await deps.hub.smooth(room, participantId, { ...reading, capturedAt: p.capturedAt });
  // The listener may have left or the session ended while its crop was being classified; keep it anyway:
  // it was accepted. The ack waits for the commit: an ack means the reading is stored.
  try {
    await deps.hub.record(room, participantId, {
      ...reading,
      smoothed,
      seq: p.seq,
      capturedAt: p.capturedAt,
      sentAt: p.sentAt,
      serverAt: Date.now(),
      receivedAt,
    });
  } catch (err) {
    if (err instanceof QuarantinedRowError) throw new AppError("VALIDATION_FAILED", err.message);
    throw err;
  }
  return { seq: p.seq, quality: reading.quality, dominant: reading.dominant, probabilities: reading.probabilities, smoothed };
}
