import type * as ort from "onnxruntime-common";
import { EMOTIONS, type FacePrediction, toProbabilities, dominantOf, AppError } from "@emotion/protocol";
import { DETECTOR_SIDE, decodeDetections, letterboxInput } from "./blazeface";
import { cropFace } from "./crop";
import { searchFaces, type Window } from "./face-search";
import { checkDetectOptions, shiftFace, unmirrorFace } from "./window";
import type { DetectOptions, EmotionResult, Face, FaceCrop, ModelCard, QualityOptions, RawImage } from "./types";

type Ort = Pick<typeof ort, "InferenceSession" | "Tensor">;

export interface CreateVisionOptions {
  ort: Ort;
  emotionModel: Uint8Array | string;
  detectorModel: Uint8Array | string;
  card: ModelCard;
  sessionOptions?: ort.InferenceSession.SessionOptions;
  quality?: QualityOptions;
}

/** One face's crop quality, and its emotions when the quality gate let it through. */
export interface FaceReadout {
  quality: FaceCrop["quality"];
  result: EmotionResult | null;
}

export interface Vision {
  card: ModelCard;
  detectFaces(image: RawImage, opts?: DetectOptions): Promise<Face[]>;
  cropFace(image: RawImage, face: Face): FaceCrop;
  classify(crops: Uint8Array[]): Promise<EmotionResult[]>;
  /** Crops, quality-gates and classifies (in one batch) the given faces of an image, in their order. */
  readFaces(image: RawImage, faces: Face[]): Promise<FaceReadout[]>;
  analyze(image: RawImage, opts?: DetectOptions): Promise<FacePrediction[]>;
  release(): Promise<void>;
}

async function openSession(o: Ort, model: Uint8Array | string, opts: ort.InferenceSession.SessionOptions) {
  return typeof model === "string" ? o.InferenceSession.create(model, opts) : o.InferenceSession.create(model, opts);
}

function checkCard(card: ModelCard): number[] {
  if (card.input.channels !== 1) throw new AppError("NOT_READY", `model card: expected 1 input channel, got ${card.input.channels}`);
  // Map our fixed class order onto the model's output order, so a card in another order still works.
  return EMOTIONS.map((name) => {
    const i = card.classNames.indexOf(name);
    if (i < 0) throw new AppError("NOT_READY", `model card: class "${name}" missing from classNames`);
    return i;
  });
}

/** Loads BlazeFace and the emotion classifier on the given ONNX Runtime (node or web). */
export async function createVision(options: CreateVisionOptions): Promise<Vision> {
  const { ort: o, card } = options;
  const order = checkCard(card);
  const side = card.input.size;
  const { mean, std } = card.input.normalisation;
  // logSeverityLevel 3: BlazeFace's file carries unused initialisers that ORT warns about on every load
  const sessionOptions: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: "all", logSeverityLevel: 3, ...options.sessionOptions };
  const [classifier, detector] = await Promise.all([
    openSession(o, options.emotionModel, sessionOptions),
    openSession(o, options.detectorModel, sessionOptions),
  ]);
  const detInName = detector.inputNames[0]!;
  const [scores16, scores8, boxes16, boxes8] = detector.outputNames as [string, string, string, string];
  const clsIn = classifier.inputNames[0]!;
  const clsOut = classifier.outputNames[0]!;
  const lookup = new Float32Array(256).map((_, v) => (v - mean) / std);

  /** Runs BlazeFace on one window of the image; faces in source pixels, in the detector's own order. */
  async function detectInWindow(image: RawImage, window: Window, minScore: number, isMirrored: boolean): Promise<Face[]> {
    // One input buffer per call: ONNX Runtime reads it while the run is in flight, and a buffer
    // shared between runs let a concurrent call overwrite another's image (answers swapped).
    const detectorInput = new Float32Array(DETECTOR_SIDE * DETECTOR_SIDE * 3);
    const lb = letterboxInput(image, detectorInput, DETECTOR_SIDE, { ...window, isMirrored });
    const input = new o.Tensor("float32", detectorInput, [1, DETECTOR_SIDE, DETECTOR_SIDE, 3]);
    const out = await detector.run({ [detInName]: input });
    const heads = [
      { scores: out[scores16]!.data as Float32Array, boxes: out[boxes16]!.data as Float32Array },
      { scores: out[scores8]!.data as Float32Array, boxes: out[boxes8]!.data as Float32Array },
    ];
    return decodeDetections(heads, lb, { scoreThreshold: minScore, maxFaces: 896 }).map((f) =>
      shiftFace(isMirrored ? unmirrorFace(f, window.width) : f, window.x, window.y),
    );
  }

  async function detectFaces(image: RawImage, opts?: DetectOptions): Promise<Face[]> {
    if (image.width < 1 || image.height < 1) return [];
    checkDetectOptions(opts);
    return searchFaces((window, minScore, isMirrored) => detectInWindow(image, window, minScore, isMirrored), image.width, image.height, opts);
  }

  async function classify(crops: Uint8Array[]): Promise<EmotionResult[]> {
    if (crops.length === 0) return [];
    const n = crops.length;
    const data = new Float32Array(n * side * side);
    crops.forEach((crop, k) => {
      if (crop.length !== side * side) throw new AppError("VALIDATION_FAILED", `crop ${k} has ${crop.length} pixels, expected ${side * side}`);
      const base = k * side * side;
      for (let i = 0; i < crop.length; i++) data[base + i] = lookup[crop[i]!]!;
    });
    const out = await classifier.run({ [clsIn]: new o.Tensor("float32", data, [n, 1, side, side]) });
    const probs = out[clsOut]!.data as Float32Array;
    const k = card.classNames.length;
    const results: EmotionResult[] = [];
    for (let r = 0; r < n; r++) {
      const p = toProbabilities(order.map((i) => probs[r * k + i]!));
      const dominant = dominantOf(p);
      results.push({ probabilities: p, dominant, confidence: p[dominant] });
    }
    return results;
  }

  async function readFaces(image: RawImage, faces: Face[]): Promise<FaceReadout[]> {
    const crops = faces.map((f) => cropFace(image, f, side, options.quality));
    const good = crops.flatMap((c, i) => (c.quality.ok ? [i] : []));
    const results = await classify(good.map((i) => crops[i]!.pixels));
    const byFace = new Map(good.map((faceIndex, r) => [faceIndex, results[r]!]));
    return crops.map((c, i) => ({ quality: c.quality, result: byFace.get(i) ?? null }));
  }

  async function analyze(image: RawImage, opts?: DetectOptions): Promise<FacePrediction[]> {
    const faces = await detectFaces(image, opts);
    const readouts = await readFaces(image, faces);
    const round = (v: number) => Math.round(v * 10) / 10;
    return faces.map((f, i) => {
      const { quality, result } = readouts[i]!;
      return {
        box: { x: round(f.box.x), y: round(f.box.y), width: round(f.box.width), height: round(f.box.height) },
        score: Math.round(f.score * 1e4) / 1e4,
        dominant: result?.dominant ?? null,
        probabilities: result?.probabilities ?? null,
        quality,
      };
    });
  }

  return {
    card,
    detectFaces,
    cropFace: (image, face) => cropFace(image, face, side, options.quality),
    classify,
    readFaces,
    analyze,
    async release() {
      await Promise.all([classifier.release(), detector.release()]);
    },
  };
}
