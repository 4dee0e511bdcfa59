import type { Emotion, FaceQuality, Probabilities } from "@emotion/protocol";

/** Interleaved 8-bit pixels, row-major. channels 4 = RGBA (canvas ImageData), 3 = RGB, 1 = grey. */
export interface RawImage {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  data: Uint8Array | Uint8ClampedArray;
}

export interface Point {
  x: number;
  y: number;
}

/** A detected face in source pixels. */
export interface Face {
  box: { x: number; y: number; width: number; height: number };
  score: number;
  /** BlazeFace's 6 keypoints: eye (image left), eye (image right), nose tip, mouth, ear (image left), ear (image right). */
  keypoints: Point[];
}

/** A grey face crop, aligned on the eye line, ready for the classifier (pixels 0..255, side*side). */
export interface FaceCrop {
  side: number;
  pixels: Uint8Array;
  quality: FaceQuality;
}

export interface EmotionResult {
  probabilities: Probabilities;
  dominant: Emotion;
  confidence: number;
  /** The version of the emotion model that produced it, where the caller tracks versions (the server). */
  modelVersion?: number;
}

/** The model card written by the trainer next to the ONNX file (fields the runtime needs). */
export interface ModelCard {
  classNames: string[];
  input: { name: string; size: number; channels: number; normalisation: { mean: number; std: number } };
  output: { name: string };
  parameters: number;
  macsPerFace: number;
  publicTest?: { accuracy: number };
  [key: string]: unknown;
}

export interface DetectOptions {
  /** Minimum verified detection score, 0..1 (default 0.65, see face-search.ts). */
  scoreThreshold?: number;
  /** Keep at most this many faces, most confident first (default 32). */
  maxFaces?: number;
}

export interface QualityOptions {
  /** Smallest face box width in source pixels that gets a reading (default 40). */
  minFaceSize?: number;
  /** Smallest Laplacian variance of the crop that gets a reading (default 60, below 99.5% of FER2013 faces). */
  minSharpness?: number;
  /** Largest estimated yaw in degrees that gets a reading (default 48: on the photo set near-frontal faces read up to 43.5°, profiles 58..63°). */
  maxYaw?: number;
}
