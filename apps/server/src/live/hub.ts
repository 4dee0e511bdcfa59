import type { Db, ReadingInput, SessionRow } from "@emotion/db";
import { sessionTime, toMarker } from "../sessions";
import {
  AppError,
  dominantOf,
  type LiveReading,
  type Marker,
  type ReadingAck,
  type SessionStatus,
  type SmoothedReading,
  type UploadProgress,
} from "@emotion/protocol";
import type { TemporalFilter } from "@emotion/vision/temporal";
import type { FastifyBaseLogger } from "fastify";
import type { Batcher } from "./batcher";
import type { Cluster } from "./cluster";
import type { InferencePool, WorkerStatus } from "./inference-pool";
import { claimTMs, RoomState } from "./room";
import { listenersRoom, readingsRoom, speakersRoom, type AppServer } from "./types";
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
  /** The per-listener temporal filter (tiles, room mood, self view); null shows single readings. */
  temporal?: { current: TemporalFilter | null };
  /** The other instances of the deployment (cluster mode); default: none. */
  cluster?: Cluster;
  /** The inference workers (their state goes to /health). */
  pool?: InferencePool;
  /** The emotion model version serving now (stored with readings that were not classified). */
  modelVersion?: () => number | null;
}

/**
 * When in each second the room mood is pushed: after the instances' listener snapshots (sent on the
 * second) have arrived, so a reading on another instance reaches the dashboard in about one tick.
 */
const MOOD_PHASE_MS = 250;

/** A room with no socket on this instance is dropped once nobody asked for it for this long. */
const ROOM_IDLE_MS = 15_000;

/** A listener silent for this long starts a fresh filter state: what it showed before says nothing now. */
const FILTER_RESET_MS = 10_000;

/** Tiles of listeners who left that the room mood still carries (the most recent ones). */
const MAX_LEFT_TILES = 50;

export type NewReading = Omit<ReadingInput, "sessionId" | "participantId" | "tMs"> & {
  seq: number;
  confidence: number | null;
  /** When the crop reached this server (default serverAt): time spent queued here is not clock skew. */
  receivedAt?: number;
  /** When the client sent this copy (client clock); a crop re-sent after an outage is placed at its capture time. */
  sentAt?: number;
  /** The filtered reading (see smooth): shown on the tile instead of this crop's own when present. */
  smoothed?: SmoothedReading | null;
};

// Client clocks drift; beyond this the capture stamp is replaced by the server's receive time for t_ms.
const MAX_CLOCK_SKEW_MS = 2000;

/**
 * When the crop was captured, on the server's clock (epoch ms). With `sentAt` the client tells how old
 * the crop was when this copy left, so a crop re-sent a minute after capture (it was queued through an
 * outage) lands a minute back, whatever the client's clock says. Without it, a stamp close to the
 * receive time is trusted and anything else is replaced by the receive time.
 */
export function placeCapture(r: Pick<NewReading, "capturedAt" | "serverAt" | "receivedAt" | "sentAt">): number {
  const received = r.receivedAt ?? r.serverAt;
  if (r.sentAt !== undefined) return received - Math.max(0, r.sentAt - r.capturedAt);
  return Math.abs(r.capturedAt - received) <= MAX_CLOCK_SKEW_MS ? r.capturedAt : received;
}

/**
 * Live sessions on this instance: the room caches, the readings pipeline (store + push) and the
 * once-a-second room mood. Everything durable goes to the database first-class; the caches are rebuilt
 * from it, so a second instance behind the Socket.IO Redis adapter serves the same sessions.
 */
export class LiveHub {
  private readonly rooms = new Map<string, Promise<RoomState | null>>();
  /** The rooms of `rooms` that have loaded, for the synchronous paths (snapshots, the readings push). */
  private readonly settled = new Map<string, RoomState>();
  /** When each room was last asked for: one is dropped only when idle, never under a join still in progress. */
  private readonly lastUsed = new Map<string, number>();
  private readonly outbox = new Map<string, LiveReading[]>();
  private isOutboxScheduled = false;
  private ticker: NodeJS.Timeout;
  private isClosed = false;
  /** Crops being classified or stored, by identity: a re-send of one waits for the first copy's ack. */
  private readonly inProgress = new Map<string, Promise<ReadingAck>>();
  readonly staleMs: number;
  /** Set on shutdown: no new readings are accepted while what was accepted is stored. */
  isClosing = false;
  /** Readings accepted but not stored when the app closed (the process exits non-zero when > 0). */
  unstoredAtClose = 0;

  constructor(private readonly options: LiveHubOptions) {
    this.staleMs = Math.max(3000, (3 / options.rateHz) * 1000);
    this.ticker = this.startTicker();
    const cluster = options.cluster;
    if (cluster?.isClustered) {
      cluster.subscribe("room:status", ({ sessionId, status, startedAt }) => {
        void this.rooms.get(sessionId)?.then((room) => {
          if (!room) return;
          room.status = status;
          room.startedAt = startedAt;
        });
      });
      cluster.subscribe("room:listeners", ({ sessionId, from, at, listeners }) => {
        // Only rooms this instance holds (a speaker or listeners here) need the others' listeners.
        void this.rooms.get(sessionId)?.then((room) => room?.applySnapshot(from, at, listeners));
      });
      cluster.subscribe("room:readers", ({ sessionId }) => {
        void this.rooms.get(sessionId)?.then((room) => {
          if (room) room.readersUntil = Date.now() + 3000;
        });
      });
    }
  }

  /** Ticks once a second on the second (all instances alike): snapshots go out on it, the mood MOOD_PHASE_MS later. */
  private startTicker(): NodeJS.Timeout {
    const schedule = (): NodeJS.Timeout => {
      const timer = setTimeout(
        () => {
          if (this.isClosed) return;
          this.ticker = schedule();
          this.publishListeners();
          setTimeout(() => this.tick(), MOOD_PHASE_MS).unref();
        },
        1000 - (Date.now() % 1000),
      );
      timer.unref();
      return timer;
    };
    return schedule();
  }

  private get cluster(): Cluster | undefined {
    return this.options.cluster?.isClustered ? this.options.cluster : undefined;
  }

  get io(): AppServer {
    return this.options.io;
  }
  get batcher(): Batcher {
    return this.options.batcher;
  }
  get writer(): ReadingWriter {
    return this.options.writer;
  }
  /** This instance's name and whether it shares the deployment's state through Redis. */
  get instance(): { id: string; isClustered: boolean } {
    return { id: this.options.cluster?.instanceId ?? "local", isClustered: Boolean(this.options.cluster?.isClustered) };
  }
  get workers(): WorkerStatus[] {
    return this.options.pool?.workers() ?? [];
  }
  /** Moves the inference workers to the app's current model version (hot swap). */
  swapModel(): void {
    this.options.pool?.swapModel();
  }

  /** The session's room, loaded from the database on first use; null for an unknown session. */
  room(sessionId: string): Promise<RoomState | null> {
    this.lastUsed.set(sessionId, Date.now());
    let room = this.rooms.get(sessionId);
    if (!room) {
      room = this.load(sessionId);
      this.rooms.set(sessionId, room);
      room.then(
        (r) => (r && this.rooms.get(sessionId) === room ? this.settled.set(sessionId, r) : this.rooms.delete(sessionId)),
        () => this.rooms.delete(sessionId),
      );
    }
    return room;
  }

  private async load(sessionId: string): Promise<RoomState | null> {
    const session = await this.options.db.getSession(sessionId);
    if (!session) return null;
    const room = new RoomState(session.id, session.status, session.startedAt?.getTime() ?? null, this.staleMs);
    const [participants, latest] = await Promise.all([this.options.db.listParticipants(sessionId), this.options.db.latestReadings(sessionId)]);
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
        latest: r
          ? {
              at: r.serverAt,
              quality: r.quality,
              dominant: r.dominant,
              probabilities: r.probabilities,
              confidence: r.probabilities && r.dominant ? r.probabilities[r.dominant] : null,
            }
          : null,
      });
    }
    return room;
  }

  /** Moves a session to live or ended, in the database first, then tells both rooms. */
  async setStatus(sessionId: string, status: Extract<SessionStatus, "live" | "ended">): Promise<SessionStatus> {
    // Load the room before the update so its cached status is the one before the change.
    const room = await this.room(sessionId);
    if (!room) throw new AppError("NOT_FOUND", `no session ${sessionId}`);
    const session = status === "live" ? await this.options.db.startSession(sessionId) : await this.options.db.endSession(sessionId);
    if (!session) throw new AppError("NOT_FOUND", `no session ${sessionId}`);
    const hasChanged = room.status !== session.status;
    room.status = session.status;
    room.startedAt = session.startedAt?.getTime() ?? null;
    if (hasChanged) {
      this.options.io.to([speakersRoom(sessionId), listenersRoom(sessionId)]).emit("session:status", { status: session.status });
      this.cluster?.publish("room:status", { sessionId, status: session.status, startedAt: room.startedAt });
    }
    return session.status;
  }

  /** Tells the session's speakers how an upload's analysis is going. */
  broadcastUploadProgress(sessionId: string, progress: UploadProgress): void {
    this.options.io.to(speakersRoom(sessionId)).emit("upload:progress", progress);
  }

  /** Adds a marker at the session's current time and tells its speakers: the one way, for REST and sockets. */
  async addMarker(session: SessionRow, label: string): Promise<Marker> {
    const marker = toMarker(await this.options.db.addMarker({ sessionId: session.id, tMs: sessionTime(session), label }));
    this.options.io.to(speakersRoom(session.id)).emit("session:marker", marker);
    return marker;
  }

  /** Why new readings cannot be accepted now (null when they can): shutting down, or too many wait for the database. */
  refusal(): AppError | null {
    if (this.isClosing) return new AppError("NOT_READY", "the server is restarting; keep the crop and send it again after reconnecting");
    const max = this.options.maxPendingRows ?? 100_000;
    if (this.options.writer.pending >= max)
      return new AppError("NOT_READY", `the server is catching up with storage (${max} readings waiting, MAX_PENDING_READINGS); retry shortly`);
    return null;
  }

  /**
   * Runs `work` for a crop once per identity (participant, seq, capturedAt): while the first copy is
   * being classified or stored, a re-send of it (after an ack timeout or a reconnect) gets the same answer.
   */
  once(key: string, work: () => Promise<ReadingAck>): Promise<ReadingAck> {
    const running = this.inProgress.get(key);
    if (running) return running;
    const promise = work().finally(() => this.inProgress.delete(key));
    this.inProgress.set(key, promise);
    return promise;
  }

  /**
   * Steps the listener's temporal filter with one reading, in capture order: readings of one listener
   * queue behind each other (each needs the state the previous one left), readings of different
   * listeners made in the same tick share one model run. A crop older than what the filter has already
   * seen (re-sent after an outage) is not stepped: it is stored as it is but changes nothing shown.
   */
  smooth(room: RoomState, participantId: string, r: Pick<NewReading, "quality" | "probabilities" | "capturedAt">): Promise<SmoothedReading | null> {
    const filter = this.options.temporal?.current;
    const entry = room.listeners.get(participantId);
    if (!filter || !entry) return Promise.resolve(null);
    const f = (entry.filter ??= { state: null, at: -Infinity, queue: Promise.resolve() });
    const run = f.queue.then(async () => {
      if (r.capturedAt <= f.at) return null;
      const state = r.capturedAt - f.at > FILTER_RESET_MS ? null : f.state;
      const step = await filter.step(state, { quality: r.quality, probabilities: r.probabilities });
      f.state = step.state;
      f.at = r.capturedAt;
      if (r.quality !== "ok" || !step.probabilities) return null;
      const dominant = dominantOf(step.probabilities);
      return { dominant, probabilities: step.probabilities, confidence: step.probabilities[dominant] };
    });
    // The filter only decides what is shown: a failed step shows the crop's own reading, never blocks storing it.
    const shown = run.catch((err: unknown) => {
      this.options.log.error({ err, participantId }, "temporal filter step failed; showing the single reading");
      return null;
    });
    f.queue = shown;
    return shown;
  }

  /**
   * Stores a reading (group commit), updates the room and queues it for the speakers at once; resolves
   * when the reading is committed, which is when the listener may be acked.
   */
  record(room: RoomState, participantId: string, r: NewReading): Promise<void> {
    const entry = room.listeners.get(participantId);
    const capture = placeCapture(r);
    const rawTMs = room.startedAt ? Math.max(0, capture - room.startedAt) : 0;
    const tMs = entry ? claimTMs(entry, rawTMs) : rawTMs;
    const stored = this.options.writer.write({
      sessionId: room.sessionId,
      participantId,
      capturedAt: r.capturedAt,
      serverAt: r.serverAt,
      tMs,
      quality: r.quality,
      dominant: r.dominant,
      probabilities: r.probabilities,
      seq: r.seq,
      shown: r.smoothed?.probabilities ?? null,
      // The version that classified it; for a beat without a face, the one serving (monitoring counts both).
      modelVersion: r.modelVersion ?? this.options.modelVersion?.() ?? null,
    });
    // The tile shows the newest crop's reading, filtered when the filter is on; a crop re-sent late
    // (captured before the one shown) is stored but leaves the tile as it is.
    if (entry && capture >= (entry.latestCapture ?? -Infinity)) {
      const shown = r.smoothed ?? { dominant: r.dominant, probabilities: r.probabilities, confidence: r.confidence };
      entry.latest = { at: r.serverAt, quality: r.quality, ...shown, capturedAt: r.capturedAt };
      entry.latestCapture = capture;
    }
    const live: LiveReading = {
      participantId,
      seq: r.seq,
      capturedAt: r.capturedAt,
      serverAt: r.serverAt,
      quality: r.quality,
      dominant: r.dominant,
      confidence: r.confidence,
    };
    const list = this.outbox.get(room.sessionId);
    if (list) list.push(live);
    else this.outbox.set(room.sessionId, [live]);
    if (!this.isOutboxScheduled) {
      this.isOutboxScheduled = true;
      // Everything classified in the same batch lands here before this runs: one emit per session per batch.
      setImmediate(() => this.flushOutbox());
    }
    return stored;
  }

  private flushOutbox(): void {
    this.isOutboxScheduled = false;
    const now = Date.now();
    for (const [sessionId, readings] of this.outbox) {
      // Every reading is pushed only where a speaker asked for it: in cluster mode each broadcast is a
      // Redis stream entry, which thousands of readings a second need not be when nobody reads them.
      const hasLocalReaders = Boolean(this.options.io.sockets.adapter.rooms.get(readingsRoom(sessionId))?.size);
      const room = this.settled.get(sessionId);
      if (!this.cluster || hasLocalReaders || (room && room.readersUntil > now)) this.options.io.to(readingsRoom(sessionId)).emit("session:readings", readings);
    }
    this.outbox.clear();
  }

  /**
   * Cluster mode: tells the other instances at once that a listener joined, left or changed state here
   * (the once-a-second snapshot would take up to a second more).
   */
  announceListener(room: RoomState, participantId: string): void {
    const cluster = this.cluster;
    const l = room.listeners.get(participantId);
    if (!cluster || !l) return;
    const listeners = [{ id: l.id, name: l.name, joinedAt: l.joinedAt, state: l.state, hasLeft: l.hasLeft, latest: l.latest }];
    cluster.publish("room:listeners", { sessionId: room.sessionId, from: cluster.instanceId, at: Date.now(), listeners });
  }

  /** Cluster mode: tells the other instances which listeners are connected here, per live room. */
  private publishListeners(now = Date.now()): void {
    const cluster = this.cluster;
    if (!cluster) return;
    for (const [sessionId, room] of this.settled) {
      if (room.status !== "live") continue;
      const listeners = room.snapshot(now);
      if (listeners.length) cluster.publish("room:listeners", { sessionId, from: cluster.instanceId, at: now, listeners });
      if (this.options.io.sockets.adapter.rooms.get(readingsRoom(sessionId))?.size) cluster.publish("room:readers", { sessionId });
    }
  }

  /** Pushes `session:mood` for every live room this instance holds. */
  tick(now = Date.now()): void {
    for (const [sessionId, pending] of this.rooms) {
      // A room that failed to load was already dropped by room(); nothing to push for it.
      pending
        .then((room) => {
          if (!room) return;
          const hasLocalSockets =
            [...room.listeners.values()].some((l) => l.socketId) || Boolean(this.options.io.sockets.adapter.rooms.get(speakersRoom(sessionId))?.size);
          if (!hasLocalSockets) {
            // Nothing here needs it (rebuilt from the database when next used). Not while it was asked for
            // lately: a listener joining holds it across awaits and would otherwise land in a dropped copy.
            if (now - (this.lastUsed.get(sessionId) ?? 0) > ROOM_IDLE_MS) {
              this.rooms.delete(sessionId);
              this.settled.delete(sessionId);
              this.lastUsed.delete(sessionId);
            }
            return;
          }
          // Each instance pushes to its own speakers only (io.local): in cluster mode a broadcast would reach
          // every instance's speakers, and each instance computes the whole room from the others' snapshots.
          const hasSpeakers = Boolean(this.options.io.sockets.adapter.rooms.get(speakersRoom(sessionId))?.size);
          if (room.status === "live" && hasSpeakers) this.options.io.local.to(speakersRoom(sessionId)).emit("session:mood", room.mood(now, MAX_LEFT_TILES));
        })
        .catch((err: unknown) => this.options.log.error({ err, sessionId }, "could not push the room mood"));
    }
  }

  /** Stops the ticker and sends what is queued; the batcher and writer are drained by the caller. */
  close(): void {
    this.isClosed = true;
    clearTimeout(this.ticker);
    this.flushOutbox();
  }
}
