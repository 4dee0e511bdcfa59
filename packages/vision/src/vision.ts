import type * as ort from "onnxruntime-common";
import type { FacePrediction } from "@emotion/protocol";
import { DETECTOR_SIDE, decodeDetections, letterboxInput } from "./blazeface";
import { createClassifier, openSession, type Classifier, type Ort } from "./classifier";
import { cropFace } from "./crop";
import { searchFaces, type Window } from "./face-search";
import { checkDetectOptions, shiftFace, unmirrorFace } from "./window";
import type { DetectOptions, EmotionResult, Face, FaceCrop, ModelCard, QualityOptions, RawImage } from "./types";

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
  /** The card of the emotion model in use (it changes when the classifier is swapped). */
  readonly card: ModelCard;
  /** The execution provider of the emotion model and of the detector. */
  readonly providers: { classifier: string; detector: string };
  detectFaces(image: RawImage, opts?: DetectOptions): Promise<Face[]>;
  cropFace(image: RawImage, face: Face): FaceCrop;
  classify(crops: Uint8Array[]): Promise<EmotionResult[]>;
  /** Crops, quality-gates and classifies (in one batch) the given faces of an image, in their order. */
  readFaces(image: RawImage, faces: Face[]): Promise<FaceReadout[]>;
  analyze(image: RawImage, opts?: DetectOptions): Promise<FacePrediction[]>;
  /**
   * Puts another emotion model in use (hot swap): calls from now on use `next`; the one it replaces is
   * released once the calls already running on it have finished.
   */
  swapClassifier(next: Classifier): void;
  release(): Promise<void>;
}

/** Loads BlazeFace and the emotion classifier on the given ONNX Runtime (node or web). */
export async function createVision(options: CreateVisionOptions): Promise<Vision> {
  const { ort: o } = options;
  // logSeverityLevel 3: BlazeFace's file carries unused initialisers that ORT warns about on every load
  const sessionOptions: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: "all", logSeverityLevel: 3, ...options.sessionOptions };
  const [first, opened] = await Promise.all([
    createClassifier({ ort: o, model: options.emotionModel, card: options.card, sessionOptions }),
    openSession(o, options.detectorModel, sessionOptions),
  ]);
  const detector = opened.session;
  let classifier: Classifier = first;
  /** Calls running per classifier, so a swapped-out one is released only when its last call ends. */
  const running = new Map<Classifier, number>();
  const retired = new Set<Classifier>();
  const releaseIfDone = (c: Classifier) => {
    if (retired.has(c) && !running.get(c)) {
      retired.delete(c);
      running.delete(c);
      void c.release().catch(() => {});
    }
  };
  const detInName = detector.inputNames[0]!;
  const [scores16, scores8, boxes16, boxes8] = detector.outputNames as [string, string, string, string];

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
    const c = classifier;
    running.set(c, (running.get(c) ?? 0) + 1);
    try {
      return await c.classify(crops);
    } finally {
      running.set(c, running.get(c)! - 1);
      releaseIfDone(c);
    }
  }

  async function readFaces(image: RawImage, faces: Face[]): Promise<FaceReadout[]> {
    const side = classifier.card.input.size;
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
    get card() {
      return classifier.card;
    },
    get providers() {
      return { classifier: classifier.provider, detector: opened.provider };
    },
    detectFaces,
    cropFace: (image, face) => cropFace(image, face, classifier.card.input.size, options.quality),
    classify,
    readFaces,
    analyze,
    swapClassifier(next) {
      const old = classifier;
      if (next === old) return;
      classifier = next;
      retired.add(old);
      releaseIfDone(old);
    },
    async release() {
      for (const c of retired) await c.release().catch(() => {});
      retired.clear();
      await Promise.all([classifier.release(), detector.release()]);
    },
  };
}
