import { Worker } from "node:worker_threads";
import { CROP_SIDE, dominantOf, EMOTIONS, toProbabilities } from "@emotion/protocol";
import type { EmotionResult, ModelCard } from "@emotion/vision";
import type { FastifyBaseLogger } from "fastify";

/** An emotion model version as a worker loads it: bytes (a version from the database) or a file (a shipped one). */
export interface ModelSpec {
  version: number;
  card: ModelCard;
  bytes: Uint8Array | null;
  path: string | null;
}
export interface WorkerInit {
  threads: number;
  /** ONNX Runtime execution providers in order of preference (INFERENCE_PROVIDERS); default CPU. */
  providers?: string[];
  model: ModelSpec;
}
export interface WorkerRequest {
  type?: "classify";
  id: number;
  /** n crops back to back, CROP_SIDE² bytes each. */
  pixels: Uint8Array;
}
/** Loads `model` and classifies with it from then on (hot swap). */
export interface SwapRequest {
  type: "swap";
  model: ModelSpec;
}
/** Releases the worker's sessions and ends its thread (the pool's close). */
export interface CloseRequest {
  type: "close";
}
export type WorkerMessage = WorkerRequest | SwapRequest | CloseRequest;
export type WorkerReply =
  | { type: "ready"; card: ModelCard; version: number; provider: string; providerError: string | null }
  | { type: "failed"; message: string }
  | { type: "swapped"; version: number; provider: string; providerError: string | null }
  | { type: "swap-failed"; version: number; message: string }
  | { type: "result"; id: number; probs: Float32Array; version: number }
  | { type: "error"; id: number; message: string };

/** What /health shows of a worker. */
export interface WorkerStatus {
  ready: boolean;
  modelVersion: number | null;
  provider: string | null;
  providerError: string | null;
}

export interface InferencePoolOptions {
  /** Worker threads, each with its own classifier session. */
  size: number;
  /** ONNX Runtime intra-op threads per worker. */
  threads: number;
  /** ONNX Runtime execution providers for the workers (INFERENCE_PROVIDERS). */
  providers?: string[];
  /** The in-process classifier: used until a worker is ready, while workers load a new model, and for good if none can start. */
  fallback: (crops: Uint8Array[]) => Promise<EmotionResult[]>;
  /** The model version in use; workers start on it, and only a worker on it gets batches. */
  model: () => ModelSpec | null;
  /** The worker script (default inference.worker.mjs; tests start one that fails on purpose). */
  workerUrl?: URL;
  /** A batch a worker has not answered after this long retires the worker; its batches run in-process (default 10 s). */
  jobTimeoutMs?: number;
  log: FastifyBaseLogger;
}

export interface InferencePool {
  classify(crops: Uint8Array[]): Promise<EmotionResult[]>;
  /** Starts the workers now (idempotent), e.g. when the first listener joins, so they are ready for its crops. */
  warmUp(): void;
  /** Workers ready to classify (0 while starting, or when classification stays in-process). */
  readonly readyWorkers: number;
  /** Each worker's state, model version and execution provider. */
  workers(): WorkerStatus[];
  /** Moves every worker to `model()` (hot swap): each keeps classifying on its old model until the new one loaded. */
  swapModel(): void;
  close(): Promise<void>;
}

interface Job {
  crops: Uint8Array[];
  resolve: (r: EmotionResult[]) => void;
  reject: (e: unknown) => void;
  timer?: NodeJS.Timeout;
}
interface Slot {
  worker: Worker;
  isReady: boolean;
  jobs: Map<number, Job>;
  version: number | null;
  provider: string | null;
  providerError: string | null;
}

const WORKER_URL = new URL("./inference.worker.mjs", import.meta.url);
/**
 * Largest ONNX Runtime run: on this model a run of up to ~32 crops costs less CPU per crop than one of 64
 * or more (measured 200-210 µs per crop at 8-32, 230-260 at 64-128, one thread), as the activations of a
 * larger run stop fitting the caches. BATCH_MAX still sets how many crops are dispatched together.
 */
export const RUN_MAX = 32;

/**
 * Ends a worker: asked to leave, it finishes the run it is in and releases its sessions (ending a thread
 * while ONNX Runtime is inside a call can take the whole process down); one still there after
 * `graceMs` (stuck in a run) is terminated.
 */
export function stopWorker(worker: Worker, graceMs = 5000): Promise<void> {
  return new Promise<void>((resolve) => {
    if (worker.threadId < 0) return resolve(); // already gone
    const timer = setTimeout(() => void worker.terminate().finally(resolve), graceMs);
    timer.unref();
    worker.once("exit", () => (clearTimeout(timer), resolve()));
    try {
      worker.postMessage({ type: "close" } satisfies CloseRequest);
    } catch {
      clearTimeout(timer);
      void worker.terminate().finally(resolve);
    }
  });
}

/** Classifies in runs of at most RUN_MAX crops, one after the other. */
export async function classifyInRuns(classify: (crops: Uint8Array[]) => Promise<EmotionResult[]>, crops: Uint8Array[]): Promise<EmotionResult[]> {
  if (crops.length <= RUN_MAX) return classify(crops);
  const results: EmotionResult[] = [];
  for (let k = 0; k < crops.length; k += RUN_MAX) results.push(...(await classify(crops.slice(k, k + RUN_MAX))));
  return results;
}

/**
 * How many inference workers to run: INFERENCE_THREADS of them (at most 4), none on a single core.
 * Measured on 2 cores shared with a busy process, 500 listeners × 4 crops/s for 60 s: p95 crop to
 * dashboard 196 ms with one worker against 296 ms in-process (an event loop freed of ONNX Runtime serves
 * sockets and the database while the worker classifies); the worker costs ~90 MB and, at half that load,
 * ~10% more CPU for thread hand-offs.
 */
export function inferenceWorkersFor(cores: number, inferenceThreads: number): number {
  return cores >= 2 ? Math.max(1, Math.min(4, inferenceThreads)) : 0;
}
const CROP_BYTES = CROP_SIDE * CROP_SIDE;

function toResults(probs: Float32Array, n: number, modelVersion: number): EmotionResult[] {
  const k = EMOTIONS.length;
  const results: EmotionResult[] = new Array(n);
  for (let r = 0; r < n; r++) {
    const probabilities = toProbabilities(probs.subarray(r * k, (r + 1) * k));
    const dominant = dominantOf(probabilities);
    results[r] = { probabilities, dominant, confidence: probabilities[dominant], modelVersion };
  }
  return results;
}

/**
 * Classification off the event loop: onnxruntime-node runs a session synchronously on the calling
 * thread (about 0.25 ms per crop on one core, so 2000 crops/s would take half of the event loop). Each
 * worker loads the shipped model once and takes one batch at a time; the batcher keeps at most `size`
 * batches in flight. Workers start on warmUp() or the first batch, whichever comes first (apps that never
 * classify a crop never start one); until one is ready, and if none can start or one dies, batches run
 * in-process, so a crop is never dropped for want of a worker.
 */
export function createInferencePool(options: InferencePoolOptions): InferencePool {
  const slots: Slot[] = [];
  let nextId = 0;
  let isStarted = false;
  let isClosed = false;

  function retire(slot: Slot, reason: string) {
    const index = slots.indexOf(slot);
    if (index < 0) return;
    slots.splice(index, 1);
    if (!isClosed) options.log.error({ reason, workersLeft: slots.length }, "inference worker stopped; classifying in-process instead");
    void stopWorker(slot.worker);
    // Its batches are not lost: they run again in-process.
    for (const job of slot.jobs.values()) {
      clearTimeout(job.timer);
      options.fallback(job.crops).then(job.resolve, job.reject);
    }
    slot.jobs.clear();
  }

  function start() {
    const model = options.model();
    if (isStarted || isClosed || options.size < 1 || !model) return;
    isStarted = true;
    const startedAt = Date.now();
    for (let i = 0; i < options.size; i++) {
      const workerData: WorkerInit = { threads: options.threads, providers: options.providers, model };
      const worker = new Worker(options.workerUrl ?? WORKER_URL, { execArgv: [], workerData });
      worker.unref(); // the server's sockets keep the process alive; a pool alone must not
      const slot: Slot = { worker, isReady: false, jobs: new Map(), version: null, provider: null, providerError: null };
      slots.push(slot);
      worker.on("message", (m: WorkerReply) => {
        if (m.type === "ready" || m.type === "swapped") {
          Object.assign(slot, { isReady: true, version: m.version, provider: m.provider, providerError: m.providerError });
          if (m.providerError)
            options.log.warn({ worker: i, provider: m.provider, providerError: m.providerError }, "inference worker fell back to another execution provider");
          options.log.info(
            { worker: i, threads: options.threads, modelVersion: m.version, provider: m.provider, ms: Date.now() - startedAt },
            `inference worker ${m.type}`,
          );
          // A swap asked for while this one loaded: go on to the newest version.
          const wanted = options.model();
          if (wanted && wanted.version !== m.version) slot.worker.postMessage({ type: "swap", model: wanted } satisfies SwapRequest);
        } else if (m.type === "swap-failed") {
          // It keeps its old model; batches go elsewhere (in-process) until it has the version in use.
          options.log.error({ worker: i, modelVersion: m.version, reason: m.message }, "inference worker could not load the new model");
        } else if (m.type === "failed") retire(slot, m.message);
        else {
          const job = slot.jobs.get(m.id);
          if (!job) return;
          slot.jobs.delete(m.id);
          clearTimeout(job.timer);
          if (m.type === "error") job.reject(new Error(m.message));
          else job.resolve(toResults(m.probs, job.crops.length, m.version));
        }
      });
      worker.on("error", (error) => retire(slot, error.message));
      worker.on("exit", (code) => retire(slot, `exited with code ${code}`));
    }
  }

  return {
    classify(crops) {
      start();
      const version = options.model()?.version;
      let slot: Slot | undefined;
      for (const s of slots) if (s.isReady && s.version === version && (!slot || s.jobs.size < slot.jobs.size)) slot = s;
      // Odd-sized crops go in-process too, where the classifier answers them with a clear error.
      if (!slot || crops.length === 0 || crops.some((c) => c.length !== CROP_BYTES)) return options.fallback(crops);
      const pixels = new Uint8Array(crops.length * CROP_BYTES);
      crops.forEach((c, k) => pixels.set(c, k * CROP_BYTES));
      const id = nextId++;
      const target = slot;
      const timeoutMs = options.jobTimeoutMs ?? 10_000;
      return new Promise<EmotionResult[]>((resolve, reject) => {
        // A worker stuck in a run (or starved) must not hold crops forever: it is retired and they run here.
        const timer = setTimeout(() => retire(target, `a batch took longer than ${timeoutMs} ms (INFERENCE_JOB_TIMEOUT_MS)`), timeoutMs);
        timer.unref();
        target.jobs.set(id, { crops, resolve, reject, timer });
        target.worker.postMessage({ id, pixels } satisfies WorkerRequest, [pixels.buffer]);
      });
    },
    warmUp: start,
    get readyWorkers() {
      return slots.filter((s) => s.isReady).length;
    },
    workers: () => slots.map((s) => ({ ready: s.isReady, modelVersion: s.version, provider: s.provider, providerError: s.providerError })),
    swapModel() {
      const model = options.model();
      if (!model) return;
      for (const s of slots) if (s.version !== model.version) s.worker.postMessage({ type: "swap", model } satisfies SwapRequest);
    },
    async close() {
      isClosed = true;
      await Promise.all(slots.splice(0).map((s) => stopWorker(s.worker)));
    },
  };
}
