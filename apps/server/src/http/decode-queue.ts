import { RetryLaterError } from "./errors";

/**
 * Bounds the images being decoded and analysed at once (a decoded image may take MAX_IMAGE_PIXELS × 3
 * bytes) and the requests waiting for a slot. A full queue refuses at once with 503 and Retry-After:
 * a client that retries later is better served than one whose request waits for minutes.
 */
export class DecodeQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly maxRunning: number,
    readonly maxWaiting: number,
  ) {}

  get size() {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** Runs `job` once a slot is free; throws NOT_READY (503) when every slot is taken and the queue is full. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running < this.maxRunning) this.running++;
    else if (this.waiting.length < this.maxWaiting) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else
      throw new RetryLaterError(
        "NOT_READY",
        `the image API is busy: ${this.running} images are being analysed and ${this.waiting.length} wait (MAX_CONCURRENT_DECODES=${this.maxRunning}, MAX_QUEUED_DECODES=${this.maxWaiting}); retry in a second`,
        1,
      );
    try {
      return await job();
    } finally {
      // Hand the slot straight to the next waiter, so a new arrival cannot overtake the queue.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
