/** Keys remembered at most; beyond it the oldest windows are forgotten (a flood of addresses cannot grow memory). */
const MAX_KEYS = 100_000;

/**
 * Counts failed attempts (a join code that names no session) per key (an IP) in fixed windows. Once a
 * key reaches `max` failures in a window, every attempt from it is refused until the window ends:
 * guessing six-character codes then takes years, while a venue of listeners behind one NAT, who type
 * the right code, is never slowed down (successes are not counted).
 */
export class JoinThrottle {
  private readonly windows = new Map<string, { startedAt: number; failures: number }>();

  constructor(
    readonly max: number,
    readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Keys remembered now (bounded by MAX_KEYS). */
  get size(): number {
    return this.windows.size;
  }

  /** ms until `key` may try again; 0 when it may try now. */
  retryAfterMs(key: string): number {
    const w = this.windows.get(key);
    if (!w) return 0;
    const left = w.startedAt + this.windowMs - this.now();
    if (left <= 0) {
      this.windows.delete(key);
      return 0;
    }
    return w.failures >= this.max ? left : 0;
  }

  recordFailure(key: string): void {
    const now = this.now();
    const w = this.windows.get(key);
    if (w && now - w.startedAt < this.windowMs) {
      w.failures++;
      return;
    }
    this.windows.delete(key);
    if (this.windows.size >= MAX_KEYS) this.forgetOldest(now);
    this.windows.set(key, { startedAt: now, failures: 1 });
  }

  private forgetOldest(now: number): void {
    // Map order is insertion order, so the oldest windows come first.
    for (const [key, w] of this.windows) {
      if (this.windows.size < MAX_KEYS * 0.9 && now - w.startedAt < this.windowMs) break;
      this.windows.delete(key);
    }
  }
}
