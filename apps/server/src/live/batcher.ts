import type { EmotionResult } from "@emotion/vision";

export interface BatcherOptions {
  /** The batched classifier (vision.classify). */
  classify: (crops: Uint8Array[]) => Promise<EmotionResult[]>;
  /** Flush as soon as this many crops wait. */
  maxBatch: number;
  /** ...or this long after the first crop of a batch arrived. */
  waitMs: number;
  /** Batches classified at the same time (one per inference worker; default 1). */
  concurrency?: number;
}

export interface BatcherStats {
  batches: number;
  crops: number;
  largestBatch: number;
}

export interface Batcher {
  /** Queues one crop; resolves with its result once its batch has run. */
  classify(crop: Uint8Array): Promise<EmotionResult>;
  /** Resolves when nothing is queued or running. */
  drain(): Promise<void>;
  readonly stats: BatcherStats;
}

interface Job {
  crop: Uint8Array;
  resolve: (r: EmotionResult) => void;
  reject: (e: unknown) => void;
}

/**
 * Micro-batcher: crops from every listener go into one classifier call, so the cost per face falls as
 * load rises. At most `concurrency` batches run at a time (one per inference worker); crops that arrive
 * meanwhile form the next batch, which starts as soon as a running one ends.
 */
export function createBatcher({ classify, maxBatch, waitMs, concurrency = 1 }: BatcherOptions): Batcher {
  let queue: Job[] = [];
  let timer: NodeJS.Timeout | null = null;
  const running = new Set<Promise<void>>();
  const stats: BatcherStats = { batches: 0, crops: 0, largestBatch: 0 };

  function schedule() {
    if (running.size >= concurrency || queue.length === 0) return;
    if (queue.length >= maxBatch || waitMs === 0) return void run();
    // While a batch runs, the next one grows until that ends (it then starts at once) or fills up: fewer,
    // larger batches under load instead of one small batch per waitMs.
    if (running.size > 0) return;
    timer ??= setTimeout(run, waitMs);
  }

  function run() {
    if (timer) clearTimeout(timer);
    timer = null;
    if (running.size >= concurrency || queue.length === 0) return;
    const jobs = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
    queue = queue.length <= maxBatch ? [] : queue.slice(jobs.length);
    stats.batches++;
    stats.crops += jobs.length;
    stats.largestBatch = Math.max(stats.largestBatch, jobs.length);
    const batch: Promise<void> = classify(jobs.map((j) => j.crop))
      .then(
        (results) => jobs.forEach((j, i) => (results[i] ? j.resolve(results[i]) : j.reject(new Error("classifier returned too few results")))),
        (error) => jobs.forEach((j) => j.reject(error)),
      )
      .finally(() => {
        running.delete(batch);
        // Whatever queued during the run has already waited; go at once.
        if (queue.length) run();
      });
    running.add(batch);
    // Another free slot and a full batch waiting: start it too.
    if (queue.length >= maxBatch) run();
  }

  return {
    stats,
    classify(crop) {
      return new Promise<EmotionResult>((resolve, reject) => {
        queue.push({ crop, resolve, reject });
        schedule();
      });
    },
    async drain() {
      while (running.size || queue.length) {
        run();
        await Promise.race(running);
      }
    },
  };
}
