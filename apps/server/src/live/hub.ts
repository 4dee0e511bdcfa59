import type { Db, ReadingInput } from "@emotion/db";
import { AppError, type LiveReading, type Marker, type SessionStatus } from "@emotion/protocol";
import type { FastifyBaseLogger } from "fastify";
import type { Batcher } from "./batcher";
import { claimTMs, RoomState } from "./room";
import { listenersRoom, speakersRoom, type AppServer } from "./types";
import type { ReadingWriter } from "./writer";

export interface LiveHubOptions {
  io: AppServer;
  db: Db;
  batcher: Batcher;
  writer: ReadingWriter;
  log: FastifyBaseLogger;
  rateHz: number;
  /** Refuse new readings while this many wait for the database (backpressure, not loss). */
  maxPendingRows?: number;
}

export type NewReading = Omit<ReadingInput, "sessionId" | "participantId" | "tMs"> & {
  seq: number;
  confidence: number | null;
  /** When the crop reached this server (default serverAt): time spent queued here is not clock skew. */
  receivedAt?: number;
};

// Client clocks drift; beyond this the capture stamp is replaced by the server's receive time for t_ms.
const MAX_CLOCK_SKEW_MS = 2000;

/**
 * Live sessions on this instance: the room caches, the readings pipeline (store + push) and the
 * once-a-second room mood. Everything durable goes to the database first-class; the caches are rebuilt
 * from it, so a second instance behind the Socket.IO Redis adapter serves the same sessions.
 */
export class LiveHub {
  private readonly rooms = new Map<string, Promise<RoomState | null>>();
  private readonly outbox = new Map<string, LiveReading[]>();
  private isOutboxScheduled = false;
  private readonly ticker: NodeJS.Timeout;
  readonly staleMs: number;

  constructor(private readonly o: LiveHubOptions) {
    this.staleMs = Math.max(3000, (3 / o.rateHz) * 1000);
    this.ticker = setInterval(() => this.tick(), 1000);
    this.ticker.unref();
  }

  get io(): AppServer {
    return this.o.io;
  }
  get batcher(): Batcher {
    return this.o.batcher;
  }
  get writer(): ReadingWriter {
    return this.o.writer;
  }

  /** The session's room, loaded from the database on first use; null for an unknown session. */
  room(sessionId: string): Promise<RoomState | null> {
    let room = this.rooms.get(sessionId);
    if (!room) {
      room = this.load(sessionId);
      this.rooms.set(sessionId, room);
      room.then((r) => r || this.rooms.delete(sessionId), () => this.rooms.delete(sessionId));
    }
    return room;
  }

  private async load(sessionId: string): Promise<RoomState | null> {
    const session = await this.o.db.getSession(sessionId);
    if (!session) return null;
    const room = new RoomState(session.id, session.status, session.startedAt?.getTime() ?? null, this.staleMs);
    const [participants, latest] = await Promise.all([this.o.db.listParticipants(sessionId), this.o.db.latestReadings(sessionId)]);
    const byId = new Map(latest.map((r) => [r.participantId, r]));
    for (const p of participants) {
      if (p.kind !== "live") continue;
      const r = byId.get(p.id);
      room.upsert({
        id: p.id,
        name: p.name,
        joinedAt: p.joinedAt.getTime(),
        hasLeft: p.leftAt !== null,
        recentTMs: r ? [r.tMs] : [],
        latest: r ? { at: r.serverAt, quality: r.quality, dominant: r.dominant, probabilities: r.probabilities, confidence: r.probabilities && r.dominant ? r.probabilities[r.dominant] : null } : null,
      });
    }
    return room;
  }

  /** Moves a session to live or ended, in the database first, then tells both rooms. */
  async setStatus(sessionId: string, status: Extract<SessionStatus, "live" | "ended">): Promise<SessionStatus> {
    // Load the room before the update so its cached status is the one before the change.
    const room = await this.room(sessionId);
    if (!room) throw new AppError("NOT_FOUND", `no session ${sessionId}`);
    const session = status === "live" ? await this.o.db.startSession(sessionId) : await this.o.db.endSession(sessionId);
    if (!session) throw new AppError("NOT_FOUND", `no session ${sessionId}`);
    const hasChanged = room.status !== session.status;
    room.status = session.status;
    room.startedAt = session.startedAt?.getTime() ?? null;
    if (hasChanged) this.o.io.to([speakersRoom(sessionId), listenersRoom(sessionId)]).emit("session:status", { status: session.status });
    return session.status;
  }

  broadcastMarker(sessionId: string, marker: Marker): void {
    this.o.io.to(speakersRoom(sessionId)).emit("session:marker", marker);
  }

  /** True when the write-behind buffer has room for more readings. */
  get canAccept(): boolean {
    return this.o.writer.pending < (this.o.maxPendingRows ?? 200_000);
  }

  /** Stores a reading (write-behind), updates the room and queues it for the speakers. */
  record(room: RoomState, participantId: string, r: NewReading): void {
    const received = r.receivedAt ?? r.serverAt;
    const capture = Math.abs(r.capturedAt - received) <= MAX_CLOCK_SKEW_MS ? r.capturedAt : received;
    const entry = room.listeners.get(participantId);
    const rawTMs = room.startedAt ? Math.max(0, capture - room.startedAt) : 0;
    const tMs = entry ? claimTMs(entry, rawTMs) : rawTMs;
    this.o.writer.push({
      sessionId: room.sessionId,
      participantId,
      capturedAt: r.capturedAt,
      serverAt: r.serverAt,
      tMs,
      quality: r.quality,
      dominant: r.dominant,
      probabilities: r.probabilities,
    });
    if (entry) entry.latest = { at: r.serverAt, quality: r.quality, dominant: r.dominant, probabilities: r.probabilities, confidence: r.confidence };
    const live: LiveReading = { participantId, seq: r.seq, capturedAt: r.capturedAt, serverAt: r.serverAt, quality: r.quality, dominant: r.dominant, confidence: r.confidence };
    const list = this.outbox.get(room.sessionId);
    if (list) list.push(live);
    else this.outbox.set(room.sessionId, [live]);
    if (!this.isOutboxScheduled) {
      this.isOutboxScheduled = true;
      // Everything classified in the same batch lands here before this runs: one emit per session per batch.
      setImmediate(() => this.flushOutbox());
    }
  }

  private flushOutbox(): void {
    this.isOutboxScheduled = false;
    for (const [sessionId, readings] of this.outbox) this.o.io.to(speakersRoom(sessionId)).emit("session:readings", readings);
    this.outbox.clear();
  }

  /** Pushes `session:mood` for every live room this instance holds. */
  tick(now = Date.now()): void {
    for (const [sessionId, pending] of this.rooms) {
      void pending.then((room) => {
        if (!room) return;
        const hasLocalSockets =
          [...room.listeners.values()].some((l) => l.socketId) || Boolean(this.o.io.sockets.adapter.rooms.get(speakersRoom(sessionId))?.size);
        if (!hasLocalSockets) {
          this.rooms.delete(sessionId); // nothing here needs it; rebuilt from the database when next used
          return;
        }
        if (room.status === "live") this.o.io.to(speakersRoom(sessionId)).emit("session:mood", room.mood(now));
      });
    }
  }

  /** Stops the ticker and sends what is queued; the batcher and writer are drained by the caller. */
  close(): void {
    clearInterval(this.ticker);
    this.flushOutbox();
  }
}
