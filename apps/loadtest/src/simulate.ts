import type { Socket as TcpSocket } from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { io, type Socket } from "socket.io-client";
import type { ClientToServerEvents, ListenerJoined, LiveReading, RoomMood, ServerToClientEvents } from "@emotion/protocol";
import type { SessionRef } from "./session-api";
import { Samples } from "./stats";

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface SimulationOptions {
  /** The servers: listeners are spread over them in turn; the speaker is on the first. */
  urls: string[];
  /** Ask for every reading (session:readings) besides the room mood. */
  readings: boolean;
  session: SessionRef;
  listeners: number;
  fps: number;
  seconds: number;
  crops: readonly Uint8Array[];
  joinConcurrency: number;
  ackTimeoutMs: number;
  /** Crops captured in the first this many seconds of sending count as sent/stored but not in the latencies. */
  warmupSeconds?: number;
}

interface Listener {
  index: number;
  socket: Client;
  participantId: string;
  seq: number;
  lastCapturedAt: number;
  timer: NodeJS.Timeout | null;
  tcp: TcpSocket | null;
}

/**
 * The TCP socket under a connected client's WebSocket (engine.io-client → ws internals), or null when
 * those internals change. A crop is two WebSocket frames (the event, then its binary attachment, written
 * a tick apart); corking the socket across that tick sends them in one write, as a browser's network
 * stack would, and saves this process (and the kernel's loopback) a syscall per crop.
 */
function tcpSocketOf(socket: Client): TcpSocket | null {
  const transport = socket.io.engine?.transport as unknown as { ws?: { _socket?: TcpSocket } } | undefined;
  return transport?.ws?._socket ?? null;
}

const uncork = (tcp: TcpSocket) => tcp.uncork();

async function connect(url: string): Promise<Client> {
  // One connection per simulated browser (forceNew); no reconnects, so a dropped socket shows as lost crops.
  const socket: Client = io(url, { transports: ["websocket"], forceNew: true, reconnection: false });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no Socket.IO connection to ${url} within 20 s`)), 20_000);
    socket.once("connect", () => (clearTimeout(timer), resolve()));
    socket.once("connect_error", (e) => (clearTimeout(timer), reject(new Error(`cannot connect to ${url}: ${e.message}`))));
  });
  return socket;
}

/**
 * The simulated room: one speaker socket that timestamps every `session:readings` item it receives, and
 * N listener sockets (one connection each, like N browsers) sending face crops at a fixed rate with
 * random phases, each stamped with its capture time and a sequence number.
 */
export class Simulation {
  sent = 0;
  acked = 0;
  nacked = 0;
  timedOut = 0;
  readonly nackCodes: Record<string, number> = {};
  /** Readings of our listeners that reached the speaker socket. */
  dashboardReceived = 0;
  /** Sockets that dropped during the run (they do not reconnect: their crops are lost). */
  disconnects = 0;
  readonly ackMs = new Samples();
  /** Capture to a reading pushed to the speaker (session:readings). */
  readonly dashboardMs = new Samples();
  /** Capture to the room mood the dashboard draws (session:mood): each tile whose shown reading is newer than before. */
  readonly moodMs = new Samples();
  /** Room moods the speaker received, and the most listeners one of them showed with a face. */
  moods = 0;
  mostPresent = 0;
  private readonly shownCapture = new Map<string, number>();
  /** This process's event-loop delay: when it is high, the latencies include the load generator's own lag. */
  readonly clientLag = monitorEventLoopDelay({ resolution: 10 });
  readonly participantIds = new Set<string>();
  private readonly listeners: Listener[] = [];
  private speaker: Client | null = null;
  private isClosing = false;
  private isSending = false;
  /** Listeners that have sent all their crops. */
  private finished = 0;
  private onAllSent: (() => void) | null = null;
  /** Epoch ms from which latencies are recorded (after the warm-up). */
  private measureFrom = 0;

  constructor(private readonly o: SimulationOptions) {}

  get inFlight(): number {
    return this.sent - this.acked - this.nacked - this.timedOut;
  }
  get joined(): number {
    return this.listeners.length;
  }

  /** Connects the speaker dashboard socket (speaker:join) and starts timing readings. */
  async connectSpeaker(): Promise<void> {
    const socket = await connect(this.o.urls[0]!);
    this.speaker = socket;
    const res = await socket
      .timeout(30_000)
      .emitWithAck("speaker:join", { v: 1, sessionId: this.o.session.id, speakerToken: this.o.session.speakerToken, readings: this.o.readings });
    if (!res.ok) throw new Error(`speaker:join failed: ${res.error.code} ${res.error.message}`);
    socket.on("session:readings", (readings: LiveReading[]) => {
      const now = Date.now();
      for (const r of readings) {
        if (!this.participantIds.has(r.participantId)) continue;
        this.dashboardReceived++;
        if (r.capturedAt >= this.measureFrom) this.dashboardMs.add(now - r.capturedAt);
      }
    });
    socket.on("session:mood", (mood: RoomMood) => this.takeMood(mood, Date.now()));
  }

  private takeMood(mood: RoomMood, now: number) {
    this.moods++;
    this.mostPresent = Math.max(this.mostPresent, mood.presentCount);
    if (!this.isSending) return;
    for (const t of mood.tiles) {
      const captured = t.capturedAt;
      if (!captured || !this.participantIds.has(t.id) || captured <= (this.shownCapture.get(t.id) ?? 0)) continue;
      this.shownCapture.set(t.id, captured);
      if (captured >= this.measureFrom) this.moodMs.add(now - captured);
    }
  }

  /** Connects and joins every listener, `joinConcurrency` at a time. */
  async joinListeners(onJoined?: (count: number) => void): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < this.o.listeners) {
        const index = next++;
        const socket = await connect(this.o.urls[index % this.o.urls.length]!);
        const res = await socket.timeout(30_000).emitWithAck("listener:join", { v: 1, code: this.o.session.code, name: `Load ${index + 1}` });
        if (!res.ok) {
          socket.disconnect();
          throw new Error(`listener:join failed for listener ${index + 1}: ${res.error.code} ${res.error.message}`);
        }
        this.addListener(index, socket, res.data);
        onJoined?.(this.listeners.length);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.joinConcurrency, this.o.listeners) }, worker));
  }

  private addListener(index: number, socket: Client, joined: ListenerJoined) {
    this.participantIds.add(joined.participantId);
    this.listeners.push({ index, socket, participantId: joined.participantId, seq: 0, lastCapturedAt: 0, timer: null, tcp: tcpSocketOf(socket) });
    socket.on("disconnect", () => {
      if (!this.isClosing) this.disconnects++;
    });
    if (this.isSending) this.startListener(this.listeners.at(-1)!);
  }

  /**
   * Starts sending: every listener joined so far, and each one that joins later as soon as it has joined
   * (a browser sends once it is in). Each sends exactly fps × seconds crops, with a random phase and a
   * little jitter per frame, like cameras started at different times. Resolves when all of them are sent
   * (acks may still be on their way).
   */
  startSending(): Promise<void> {
    this.clientLag.enable();
    this.isSending = true;
    this.measureFrom = Date.now() + (this.o.warmupSeconds ?? 0) * 1000;
    for (const l of this.listeners) this.startListener(l);
    return new Promise<void>((resolve) => {
      this.onAllSent = resolve;
      this.checkAllSent();
    });
  }

  private startListener(l: Listener) {
    const period = 1000 / this.o.fps;
    const perListener = Math.max(1, Math.round(this.o.fps * this.o.seconds));
    const t0 = performance.now() + Math.random() * period;
    let k = 0;
    const tick = () => {
      l.timer = null;
      if (this.isClosing) return;
      this.sendCrop(l);
      if (++k >= perListener) {
        this.finished++;
        return this.checkAllSent();
      }
      const due = t0 + k * period + (Math.random() - 0.5) * 0.1 * period;
      l.timer = setTimeout(tick, Math.max(0, due - performance.now()));
    };
    l.timer = setTimeout(tick, t0 - performance.now());
  }

  private checkAllSent() {
    if (this.onAllSent && (this.finished >= this.o.listeners || this.isClosing)) this.onAllSent();
  }

  private sendCrop(l: Listener) {
    // Distinct capture times per listener, as camera frames have; the server keys readings on them.
    const capturedAt = Math.max(Date.now(), l.lastCapturedAt + 1);
    l.lastCapturedAt = capturedAt;
    const seq = l.seq++;
    const crop = this.o.crops[(l.index + seq) % this.o.crops.length]!;
    const sentAt = performance.now();
    this.sent++;
    l.tcp?.cork();
    l.socket.timeout(this.o.ackTimeoutMs).emit("listener:crop", { v: 1, kind: "face", seq, capturedAt, crop }, (err, res) => {
      if (err) {
        this.timedOut++;
        return;
      }
      if (res.ok) {
        this.acked++;
        if (capturedAt >= this.measureFrom) this.ackMs.add(performance.now() - sentAt);
      } else {
        this.nacked++;
        this.nackCodes[res.error.code] = (this.nackCodes[res.error.code] ?? 0) + 1;
      }
    });
    if (l.tcp) process.nextTick(uncork, l.tcp);
  }

  /** Waits until every crop is acked (or timed out) and the speaker has had the acked readings, within `maxWaitMs`. */
  async settle(maxWaitMs: number): Promise<void> {
    const deadline = Date.now() + maxWaitMs;
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // session:readings go out right after the acks; give the last ones a moment to arrive.
    const dashDeadline = Math.min(deadline, Date.now() + 3000);
    while (this.o.readings && this.dashboardReceived < this.acked && Date.now() < dashDeadline) await new Promise((r) => setTimeout(r, 50));
    this.clientLag.disable();
  }

  /** Stops sending and disconnects every socket. */
  close(): void {
    this.isClosing = true;
    this.checkAllSent();
    for (const l of this.listeners) {
      if (l.timer) clearTimeout(l.timer);
      l.socket.disconnect();
    }
    this.speaker?.disconnect();
  }
}
