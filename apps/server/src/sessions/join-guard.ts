import { RetryLaterError } from "../http/errors";

/** Addresses remembered at most; beyond it the oldest windows are forgotten (a flood of addresses cannot grow memory). */
const MAX_ADDRESSES = 100_000;
const WINDOW_MS = 60_000;

/**
 * Failed join attempts (a code that names no session) per client address, in fixed one-minute windows.
 * Once an address reaches `maxFailuresPerMinute` in a window, every attempt from it is refused until the
 * window ends: guessing six-character codes then takes years, while a venue of listeners behind one NAT,
 * who type the right code, is never slowed down (successes are not counted). One instance per app
 * (`app.joinGuard`), so REST lookups and socket joins can share one budget.
 */
export class JoinGuard {
  private readonly windows = new Map<string, { startedAt: number; failures: number }>();

  constructor(
    readonly maxFailuresPerMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Addresses remembered now (bounded by MAX_ADDRESSES). */
  get size(): number {
    return this.windows.size;
  }

  /** ms until `address` may try again; 0 when it may try now. */
  retryAfterMs(address: string): number {
    const w = this.windows.get(address);
    if (!w) return 0;
    const left = w.startedAt + WINDOW_MS - this.now();
    if (left <= 0) {
      this.windows.delete(address);
      return 0;
    }
    return w.failures >= this.maxFailuresPerMinute ? left : 0;
  }

  /** Throws 429 RATE_LIMITED (with Retry-After over REST) while `address` is refused. */
  check(address: string): void {
    const retryS = Math.ceil(this.retryAfterMs(address) / 1000);
    if (retryS > 0)
      throw new RetryLaterError(
        "RATE_LIMITED",
        `too many failed join attempts from this address (MAX_FAILED_JOINS_PER_MINUTE=${this.maxFailuresPerMinute}); try again in ${retryS} s`,
        retryS,
      );
  }

  fail(address: string): void {
    const now = this.now();
    const w = this.windows.get(address);
    if (w && now - w.startedAt < WINDOW_MS) {
      w.failures++;
      return;
    }
    this.windows.delete(address);
    if (this.windows.size >= MAX_ADDRESSES) this.forgetOldest(now);
    this.windows.set(address, { startedAt: now, failures: 1 });
  }

  private forgetOldest(now: number): void {
    // Map order is insertion order, so the oldest windows come first.
    for (const [address, w] of this.windows) {
      if (this.windows.size < MAX_ADDRESSES * 0.9 && now - w.startedAt < WINDOW_MS) break;
      this.windows.delete(address);
    }
  }
}
