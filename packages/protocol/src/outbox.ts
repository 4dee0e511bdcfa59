import type { ErrorCode } from "./errors";
import type { ListenerCrop, ReadingAck } from "./socket";

/** The listener's half of "an ack means stored": crops are kept until acked, re-sent until then. */
export interface CropOutboxOptions {
  /** Sends one crop and resolves with its ack; rejects on an error ack (with `code`), a timeout or a disconnect. */
  send(payload: ListenerCrop): Promise<ReadingAck>;
  /** False while the socket is down or not joined: crops wait. */
  canSend(): boolean;
  /** Crops kept while unacked (default 600: 2.5 minutes at 4/s, about 1.4 MB); beyond it the oldest is dropped. */
  capacity?: number;
  /** Crops sent and not yet acked (default 3). */
  maxInFlight?: number;
  onAck?(ack: ReadingAck, payload: ListenerCrop): void;
  /** A crop given up: refused for good by the server, pushed out of a full outbox, or the session ended. */
  onDrop?(payload: ListenerCrop, reason: string): void;
  /** Clock for sentAt (default Date.now). */
  now?(): number;
}

export interface CropOutboxStats {
  acked: number;
  /** Sends that failed and will be tried again. */
  retried: number;
  dropped: number;
}

// Errors after which the same crop can never be accepted: drop it. Anything else (NOT_READY while the
// database is away, RATE_LIMITED, UNAUTHORIZED before the rejoin, a timeout, a disconnect) is retried.
const PERMANENT: ReadonlySet<ErrorCode> = new Set(["VALIDATION_FAILED", "CORRUPT_IMAGE", "FORBIDDEN", "NOT_FOUND", "PAYLOAD_TOO_LARGE", "BAD_REQUEST"]);
const MAX_BACKOFF_MS = 4000;

interface Entry {
  payload: ListenerCrop;
  /** Bumped when the entry is taken back from the wire (a disconnect); a late answer to an old send is ignored. */
  attempt: number;
}

const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
};

/**
 * A bounded queue of crops not yet acked, sent oldest first with a few in flight. A crop leaves it only
 * when the server acks it (then it is stored), when the server refuses it for good, or when the queue is
 * full and it is the oldest. After a disconnect everything in flight goes back to the queue and is sent
 * again after the rejoin with the same seq and capturedAt, which the server deduplicates; `sentAt` is
 * set on each copy so the server can place a late crop at its capture time.
 */
export class CropOutbox {
  readonly stats: CropOutboxStats = { acked: 0, retried: 0, dropped: 0 };
  private readonly waiting: Entry[] = [];
  private readonly inFlight = new Set<Entry>();
  private backoffMs = 0;
  private resumeTimer: ReturnType<typeof setTimeout> | undefined;
  private isEnded = false;
  private readonly capacity: number;
  private readonly maxInFlight: number;

  constructor(private readonly options: CropOutboxOptions) {
    this.capacity = Math.max(1, options.capacity ?? 600);
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 3);
  }

  /** Crops not yet acked: waiting plus in flight. */
  get size(): number {
    return this.waiting.length + this.inFlight.size;
  }

  /** True when crops wait beyond what is normally in flight, or sends are failing: the page says "catching up". */
  get isCatchingUp(): boolean {
    return this.waiting.length > 0 || this.backoffMs > 0;
  }

  add(payload: ListenerCrop): void {
    if (this.isEnded) return;
    this.waiting.push({ payload, attempt: 0 });
    while (this.size > this.capacity && this.waiting.length) this.drop(this.waiting.shift()!, "the outbox is full (oldest crop dropped)");
    this.pump();
  }

  /** Sends what it can now; call again when the connection comes back. */
  pump(): void {
    if (this.isEnded || this.resumeTimer !== undefined) return;
    while (this.waiting.length && this.inFlight.size < this.maxInFlight && this.options.canSend()) this.sendOne(this.waiting.shift()!);
  }

  /** The connection dropped: everything in flight waits again, in capture order, to be re-sent. */
  requeueInFlight(): void {
    const back = [...this.inFlight].sort((a, b) => a.payload.seq - b.payload.seq);
    this.inFlight.clear();
    for (const e of back) e.attempt++;
    this.waiting.unshift(...back);
  }

  /** The session ended: nothing more can be stored. */
  end(): void {
    this.isEnded = true;
    clearTimeout(this.resumeTimer);
    for (const e of [...this.inFlight, ...this.waiting]) this.options.onDrop?.(e.payload, "the session ended");
    this.stats.dropped += this.size;
    this.inFlight.clear();
    this.waiting.length = 0;
  }

  private sendOne(entry: Entry): void {
    this.inFlight.add(entry);
    const attempt = entry.attempt;
    const copy: ListenerCrop = { ...entry.payload, sentAt: (this.options.now ?? Date.now)() };
    this.options.send(copy).then(
      (ack) => {
        if (!this.settle(entry, attempt)) return;
        this.stats.acked++;
        this.backoffMs = 0;
        this.options.onAck?.(ack, entry.payload);
        this.pump();
      },
      (error: unknown) => {
        if (!this.settle(entry, attempt)) return;
        const code = codeOf(error);
        if (code === "SESSION_ENDED") return this.end();
        if (code && PERMANENT.has(code as ErrorCode)) {
          this.drop(entry, `${code}: ${(error as Error).message}`);
          return this.pump();
        }
        this.stats.retried++;
        entry.attempt++;
        // Back in front, in capture order, then wait: the server is busy, away, or we are not joined yet.
        const at = this.waiting.findIndex((e) => e.payload.seq > entry.payload.seq);
        this.waiting.splice(at < 0 ? this.waiting.length : at, 0, entry);
        this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs ? this.backoffMs * 2 : 250);
        this.pause(this.backoffMs);
      },
    );
  }

  /** True when this answer is for the entry's current send (not one taken back after a disconnect). */
  private settle(entry: Entry, attempt: number): boolean {
    if (entry.attempt !== attempt || !this.inFlight.has(entry)) return false;
    this.inFlight.delete(entry);
    return true;
  }

  private pause(ms: number): void {
    if (this.resumeTimer !== undefined) return;
    this.resumeTimer = setTimeout(() => {
      this.resumeTimer = undefined;
      this.pump();
    }, ms);
  }

  private drop(entry: Entry, reason: string): void {
    this.stats.dropped++;
    this.options.onDrop?.(entry.payload, reason);
  }
}
