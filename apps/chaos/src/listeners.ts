import { io, type Socket } from "socket.io-client";
import { CropOutbox, type ClientToServerEvents, type ListenerCrop, type ListenerJoined, type ReadingAck, type ServerToClientEvents } from "@emotion/protocol";

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;
type AckResponse<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

const ACK_TIMEOUT_MS = 5000;

function unwrap<T>(response: AckResponse<T>): T {
  if (response.ok) return response.data;
  throw Object.assign(new Error(response.error.message), { code: response.error.code });
}

/**
 * A listener as the browser is one: it captures at `fps` whether or not it is connected, keeps every
 * crop in the same CropOutbox the join page uses until the server acks it, rejoins as the same
 * participant after any disconnect (a server killed, restarted, or shutting down) and re-sends.
 */
export class ReliableListener {
  readonly acked = new Set<number>();
  readonly outbox: CropOutbox;
  participantId: string | null = null;
  nacks: Record<string, number> = {};
  reconnects = 0;
  /** When the server last acked one of this listener's crops (epoch ms). */
  lastAckAt = 0;
  private token: string | null = null;
  private isJoined = false;
  private seq = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly socket: Client;
  private isClosed = false;

  constructor(
    url: string,
    private readonly code: string,
    private readonly name: string,
    private readonly crop: Uint8Array,
  ) {
    this.socket = io(url, { transports: ["websocket"], forceNew: true, reconnectionDelay: 250, reconnectionDelayMax: 2000, randomizationFactor: 0.5 });
    this.outbox = new CropOutbox({
      send: async (p) => unwrap(await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck("listener:crop", p)),
      canSend: () => this.isJoined && this.socket.connected,
      capacity: 5000,
      onAck: (ack: ReadingAck) => {
        this.acked.add(ack.seq);
        this.lastAckAt = Date.now();
      },
      onDrop: (_p, reason) => (this.nacks[`dropped: ${reason.split(":")[0]}`] = (this.nacks[`dropped: ${reason.split(":")[0]}`] ?? 0) + 1),
    });
    this.socket.on("connect", () => void this.join());
    this.socket.on("disconnect", (reason) => {
      this.isJoined = false;
      this.outbox.requeueInFlight();
      if (this.isClosed) return;
      this.reconnects++;
      // The server closed us on purpose (its shutdown): socket.io leaves reconnecting to us.
      if (reason === "io server disconnect") setTimeout(() => this.isClosed || this.socket.connect(), 500);
    });
  }

  /** Resolves once joined the first time. */
  async ready(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.participantId) {
      if (Date.now() > deadline) throw new Error(`listener ${this.name} did not join within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  startCapture(fps: number): void {
    const tick = () => {
      const payload: ListenerCrop = { v: 1, kind: "face", seq: this.seq++, capturedAt: Date.now(), crop: this.crop };
      this.outbox.add(payload);
    };
    this.timer = setInterval(tick, 1000 / fps);
  }

  stopCapture(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Tells the server the listener paused, turned the camera off, or is active again. */
  async setState(state: "active" | "paused" | "camera_off"): Promise<void> {
    unwrap(await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck("listener:state", { v: 1, state }));
  }

  get captured(): number {
    return this.seq;
  }

  close(): void {
    this.isClosed = true;
    this.stopCapture();
    this.socket.disconnect();
  }

  private async join(): Promise<void> {
    if (this.isClosed) return;
    try {
      const identity = this.participantId && this.token ? { participantId: this.participantId, participantToken: this.token } : {};
      const joined = unwrap<ListenerJoined>(
        await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck("listener:join", { v: 1, code: this.code, name: this.name, ...identity }),
      );
      this.participantId = joined.participantId;
      this.token = joined.participantToken;
      this.isJoined = true;
      this.outbox.pump();
    } catch (error) {
      const code = (error as { code?: string }).code ?? "TIMEOUT";
      this.nacks[`join: ${code}`] = (this.nacks[`join: ${code}`] ?? 0) + 1;
      // The database may be away (join reads the session): try again while connected.
      setTimeout(() => this.socket.connected && !this.isJoined && void this.join(), 1000);
    }
  }
}

/** Waits until every listener's outbox is empty (all acked or given up), or the timeout. */
export async function drainAll(listeners: readonly ReliableListener[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (listeners.some((l) => l.outbox.size > 0)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
  return true;
}
