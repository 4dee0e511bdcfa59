import type * as ort from "onnxruntime-common";
import { AppError, dominantOf, EMOTIONS, toProbabilities } from "@emotion/protocol";
import type { EmotionResult, ModelCard } from "./types";

export type Ort = Pick<typeof ort, "InferenceSession" | "Tensor">;

/** The emotion model alone: what an inference worker needs (it never detects faces). */
export interface Classifier {
  card: ModelCard;
  /** The execution provider the session was created with ("cuda", "cpu", ...): the first of those asked for that loaded. */
  provider: string;
  /** Why a provider asked for before `provider` could not be used (null when the first one loaded). */
  providerError: string | null;
  classify(crops: Uint8Array[]): Promise<EmotionResult[]>;
  release(): Promise<void>;
}

export interface CreateClassifierOptions {
  ort: Ort;
  model: Uint8Array | string;
  card: ModelCard;
  sessionOptions?: ort.InferenceSession.SessionOptions;
}

/** Maps our fixed class order onto the model's output order, so a card in another order still works. */
function classOrderOf(card: ModelCard): number[] {
  if (card.input.channels !== 1) throw new AppError("NOT_READY", `model card: expected 1 input channel, got ${card.input.channels}`);
  return EMOTIONS.map((name) => {
    const i = card.classNames.indexOf(name);
    if (i < 0) throw new AppError("NOT_READY", `model card: class "${name}" missing from classNames`);
    return i;
  });
}

const providerName = (p: string | { name: string }) => (typeof p === "string" ? p : p.name);

/**
 * Opens a session on the first of the asked execution providers that loads: ONNX Runtime refuses a
 * session whose provider the installed build lacks (e.g. "cuda" on a CPU-only onnxruntime-node), and a
 * GPU host whose driver is missing must still serve on the CPU rather than not at all.
 */
export async function openSession(
  o: Ort,
  model: Uint8Array | string,
  options: ort.InferenceSession.SessionOptions,
): Promise<{ session: ort.InferenceSession; provider: string; providerError: string | null }> {
  const asked = options.executionProviders?.length ? [...options.executionProviders] : ["cpu"];
  let firstError: string | null = null;
  for (let k = 0; k < asked.length; k++) {
    const providers = asked.slice(k);
    try {
      const opts = { ...options, executionProviders: providers };
      const session = typeof model === "string" ? await o.InferenceSession.create(model, opts) : await o.InferenceSession.create(model, opts);
      return { session, provider: providerName(providers[0]!), providerError: firstError };
    } catch (err) {
      firstError ??= `${providerName(providers[0]!)}: ${(err as Error).message}`;
      if (k === asked.length - 1) throw err;
    }
  }
  throw new Error("unreachable");
}

/** Loads the emotion classifier on the given ONNX Runtime (node or web). */
export async function createClassifier(options: CreateClassifierOptions): Promise<Classifier> {
  const { ort: o, card } = options;
  const order = classOrderOf(card);
  const side = card.input.size;
  const { mean, std } = card.input.normalisation;
  const { session, provider, providerError } = await openSession(o, options.model, {
    graphOptimizationLevel: "all",
    logSeverityLevel: 3,
    ...options.sessionOptions,
  });
  const inName = session.inputNames[0]!;
  const outName = session.outputNames[0]!;
  const lookup = new Float32Array(256).map((_, v) => (v - mean) / std);

  async function classify(crops: Uint8Array[]): Promise<EmotionResult[]> {
    if (crops.length === 0) return [];
    const n = crops.length;
    const data = new Float32Array(n * side * side);
    crops.forEach((crop, k) => {
      if (crop.length !== side * side) throw new AppError("VALIDATION_FAILED", `crop ${k} has ${crop.length} pixels, expected ${side * side}`);
      const base = k * side * side;
      for (let i = 0; i < crop.length; i++) data[base + i] = lookup[crop[i]!]!;
    });
    const out = await session.run({ [inName]: new o.Tensor("float32", data, [n, 1, side, side]) });
    const probs = out[outName]!.data as Float32Array;
    const k = card.classNames.length;
    const results: EmotionResult[] = [];
    for (let r = 0; r < n; r++) {
      const p = toProbabilities(order.map((i) => probs[r * k + i]!));
      const dominant = dominantOf(p);
      results.push({ probabilities: p, dominant, confidence: p[dominant] });
    }
    return results;
  }

  return { card, provider, providerError, classify, release: () => session.release() };
}
