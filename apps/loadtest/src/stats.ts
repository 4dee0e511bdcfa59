export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/** Latency samples in ms, kept whole (a 60 s run at 2000/s is 120k doubles, about 1 MB). */
export class Samples {
  private data = new Float64Array(1024);
  private n = 0;
  /** Where the current progress window started. */
  private windowStart = 0;

  get count(): number {
    return this.n;
  }

  add(ms: number): void {
    if (this.n === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.n++] = ms;
  }

  /** Percentiles of every sample so far. */
  percentiles(): Percentiles {
    return percentilesOf(this.data.subarray(0, this.n));
  }

  /** Percentiles of the samples added since the last call (for the per-second progress line). */
  takeWindow(): Percentiles {
    const window = percentilesOf(this.data.subarray(this.windowStart, this.n));
    this.windowStart = this.n;
    return window;
  }
}

const round1 = (v: number) => Math.round(v * 10) / 10;

/** Nearest-rank percentiles, rounded to 0.1 ms; nulls when there is no sample. */
export function percentilesOf(values: Float64Array): Percentiles {
  if (values.length === 0) return { p50: null, p95: null, p99: null, max: null };
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => round1(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!);
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: round1(sorted[sorted.length - 1]!) };
}
