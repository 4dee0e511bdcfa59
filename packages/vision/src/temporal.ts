// Per-listener temporal filters over the classifier's readings (about 4 a second per listener), so a
// dashboard tile shows a steady label instead of one that flickers with camera noise.
// Two filters share one interface: the learned GRU (models/emotion-temporal-gru.onnx, trained by
// `python3 -m fer_trainer.temporal`) and a pure-TS exponential moving average as the fallback.
import type * as ort from "onnxruntime-common";
import { AppError, EMOTIONS, toProbabilities, type Probabilities, type ReadingQuality } from "@emotion/protocol";

type Ort = Pick<typeof ort, "InferenceSession" | "Tensor">;

/** The shipped GRU filter, its card and its samples (repo `models/`); on Node pass `fileURLToPath(url)`. */
export const TEMPORAL_MODEL_URL = new URL("../../../models/emotion-temporal-gru.onnx", import.meta.url);
export const TEMPORAL_CARD_URL = new URL("../../../models/emotion-temporal-gru.card.json", import.meta.url);
export const TEMPORAL_SAMPLES_URL = new URL("../../../models/emotion-temporal-gru.samples.json", import.meta.url);

/** 7 probabilities, then the flags face / no face / refused: the GRU's input per reading. */
export const TEMPORAL_FEATURES = 10;
const FLAG_FACE = 7;
const FLAG_NO_FACE = 8;
const FLAG_REFUSED = 9;
const SUM_TOLERANCE = 0.01;

/** One reading of one listener: `ok` with the classifier's probabilities, or a beat without them. */
export interface TemporalReading {
  quality: ReadingQuality;
  /** Required when quality is "ok"; ignored otherwise. */
  probabilities: Probabilities | null;
}

/** A listener's filter state: opaque, keep one per listener and hand it back on its next reading. */
export interface TemporalState {
  readonly kind: "gru" | "ema";
  readonly values: Float32Array;
  /** Face readings seen since the state was made. */
  readonly readings: number;
}

export interface TemporalStep {
  /** Filtered probabilities; null until the listener's first face reading. */
  probabilities: Probabilities | null;
  state: TemporalState;
}

export interface TemporalItem {
  state: TemporalState | null;
  reading: TemporalReading;
}

export interface TemporalFilter {
  readonly kind: "gru" | "ema";
  /** One reading of one listener. Readings passed in the same tick share one model run. */
  step(state: TemporalState | null, reading: TemporalReading): Promise<TemporalStep>;
  /** One reading each of N listeners in one model run (input [N,1,10], h [1,N,H]); results in order. */
  stepMany(items: readonly TemporalItem[]): Promise<TemporalStep[]>;
  release(): Promise<void>;
}

/** The fields of models/emotion-temporal-gru.card.json the runtime needs. */
export interface TemporalCard {
  classNames: string[];
  input: { name: string; shape: Array<number | null> };
  state: { input: string; output: string; shape: Array<number | null> };
  output: { name: string };
  [key: string]: unknown;
}

export interface CreateTemporalFilterOptions {
  ort: Ort;
  /** ONNX bytes, or a file path (Node). */
  model: Uint8Array | string;
  card: TemporalCard;
  sessionOptions?: ort.InferenceSession.SessionOptions;
}

/** Writes one reading's 10 features at `offset`; throws a coded error naming the bad value. */
export function encodeReading(reading: TemporalReading, out: Float32Array, offset: number): boolean {
  out.fill(0, offset, offset + TEMPORAL_FEATURES);
  if (reading.quality === "no_face") {
    out[offset + FLAG_NO_FACE] = 1;
    return false;
  }
  if (reading.quality !== "ok") {
    out[offset + FLAG_REFUSED] = 1;
    return false;
  }
  const p = reading.probabilities;
  if (!p) throw new AppError("VALIDATION_FAILED", "reading.probabilities is required when quality is ok");
  let sum = 0;
  EMOTIONS.forEach((e, i) => {
    const v = p[e];
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > 1)
      throw new AppError("VALIDATION_FAILED", `reading.probabilities.${e} must be a number within 0..1, got ${String(v)}`);
    out[offset + i] = v;
    sum += v;
  });
  if (Math.abs(sum - 1) > SUM_TOLERANCE)
    throw new AppError("VALIDATION_FAILED", `reading.probabilities must sum to 1 (within ${SUM_TOLERANCE}), got ${sum.toFixed(4)}`);
  out[offset + FLAG_FACE] = 1;
  return true;
}

function checkState(state: TemporalState | null, kind: TemporalState["kind"], size: number): void {
  if (state === null) return;
  if (state.kind !== kind || !(state.values instanceof Float32Array) || state.values.length !== size)
    throw new AppError(
      "BAD_REQUEST",
      `state must be null or a ${kind} filter state of ${size} values, got a ${String(state.kind)} state of ${state.values?.length ?? 0}`,
    );
}

/** Turns stepMany into per-call steps that share one run when called in the same tick. */
function coalesce(stepMany: (items: readonly TemporalItem[]) => Promise<TemporalStep[]>) {
  let queue: Array<{ item: TemporalItem; resolve: (s: TemporalStep) => void; reject: (e: unknown) => void }> = [];
  const flush = () => {
    const batch = queue;
    queue = [];
    stepMany(batch.map((q) => q.item)).then(
      (steps) => batch.forEach((q, i) => q.resolve(steps[i] as TemporalStep)),
      (e: unknown) => batch.forEach((q) => q.reject(e)),
    );
  };
  return (item: TemporalItem, validate: () => void): Promise<TemporalStep> =>
    new Promise((resolve, reject) => {
      validate(); // a bad reading fails alone, not the batch it would have joined
      if (queue.length === 0) queueMicrotask(flush);
      queue.push({ item, resolve, reject });
    });
}

function checkCard(card: TemporalCard): number {
  const hidden = card.state?.shape?.[2];
  if (card.input?.shape?.[2] !== TEMPORAL_FEATURES || typeof hidden !== "number" || hidden < 1)
    throw new AppError("NOT_READY", `the temporal model card must give input shape [N,T,${TEMPORAL_FEATURES}] and state shape [1,N,H]`);
  if (card.classNames?.join() !== EMOTIONS.join())
    throw new AppError("NOT_READY", `the temporal model's classes ${String(card.classNames)} are not ${EMOTIONS.join()}`);
  return hidden;
}

/**
 * The learned GRU filter on ONNX Runtime. Keep one `TemporalState` per listener, starting from null
 * (a new listener, or one back after a long absence), and pass each reading with its state:
 *
 *     const filter = await createTemporalFilter({ ort, model: fileURLToPath(TEMPORAL_MODEL_URL), card });
 *     const { probabilities, state } = await filter.step(states.get(id) ?? null, { quality, probabilities: raw });
 *     states.set(id, state);
 *
 * `stepMany` runs N listeners' readings in one model run; `step` does the same for calls made in one tick.
 */
export async function createTemporalFilter(options: CreateTemporalFilterOptions): Promise<TemporalFilter> {
  const { ort: o, card } = options;
  const hidden = checkCard(card);
  const opts: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: "all", logSeverityLevel: 3, ...options.sessionOptions };
  let session: ort.InferenceSession;
  try {
    session = typeof options.model === "string" ? await o.InferenceSession.create(options.model, opts) : await o.InferenceSession.create(options.model, opts);
  } catch (e) {
    throw new AppError("NOT_READY", `cannot load the temporal model: ${(e as Error).message}`);
  }
  const stepMany = async (items: readonly TemporalItem[]): Promise<TemporalStep[]> => {
    const n = items.length;
    if (n === 0) return [];
    const x = new Float32Array(n * TEMPORAL_FEATURES);
    const h = new Float32Array(n * hidden);
    const seen = items.map(({ state, reading }, i) => {
      checkState(state, "gru", hidden);
      if (state) h.set(state.values, i * hidden);
      return (state?.readings ?? 0) + (encodeReading(reading, x, i * TEMPORAL_FEATURES) ? 1 : 0);
    });
    const out = await session.run({
      [card.input.name]: new o.Tensor("float32", x, [n, 1, TEMPORAL_FEATURES]),
      [card.state.input]: new o.Tensor("float32", h, [1, n, hidden]),
    });
    const probs = out[card.output.name]?.data as Float32Array;
    const hOut = out[card.state.output]?.data as Float32Array;
    return seen.map((readings, i) => ({
      probabilities: readings > 0 ? toProbabilities(probs.subarray(i * 7, i * 7 + 7)) : null,
      state: { kind: "gru", values: hOut.slice(i * hidden, (i + 1) * hidden), readings },
    }));
  };
  const queued = coalesce(stepMany);
  return {
    kind: "gru",
    stepMany,
    step: (state, reading) =>
      queued({ state, reading }, () => {
        checkState(state, "gru", hidden);
        encodeReading(reading, new Float32Array(TEMPORAL_FEATURES), 0);
      }),
    release: () => session.release(),
  };
}

/** Pure-TS fallback with the same interface: e = alpha * p + (1 - alpha) * e on face readings, held otherwise. */
export function createEmaFilter(options: { alpha: number }): TemporalFilter {
  const { alpha } = options;
  if (!(alpha > 0 && alpha <= 1)) throw new AppError("VALIDATION_FAILED", `alpha must be within (0, 1], got ${alpha}`);
  const stepOne = ({ state, reading }: TemporalItem): TemporalStep => {
    checkState(state, "ema", 7);
    const x = new Float32Array(TEMPORAL_FEATURES);
    const isFace = encodeReading(reading, x, 0);
    const readings = (state?.readings ?? 0) + (isFace ? 1 : 0);
    const values = state ? state.values.slice() : new Float32Array(7);
    if (isFace) {
      const a = state?.readings ? alpha : 1; // the first reading starts the average
      for (let i = 0; i < 7; i++) values[i] = a * (x[i] as number) + (1 - a) * (values[i] as number);
    }
    return { probabilities: readings > 0 ? toProbabilities(values) : null, state: { kind: "ema", values, readings } };
  };
  return {
    kind: "ema",
    step: async (state, reading) => stepOne({ state, reading }),
    stepMany: async (items) => items.map(stepOne),
    release: async () => undefined,
  };
}
