import { z } from "zod";

/** FER2013 classes in the model's output order. */
export const EMOTIONS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"] as const;
export const Emotion = z.enum(EMOTIONS);
export type Emotion = z.infer<typeof Emotion>;

/** One colour per emotion, shared by the web app's charts, the PDF report and the CLI's images. */
export const EMOTION_COLORS: Record<Emotion, string> = {
  angry: "#d1495b",
  disgust: "#6a994e",
  fear: "#8e6cc4",
  happy: "#e9b949",
  sad: "#3d7ec9",
  surprise: "#f08a4b",
  neutral: "#8d99ae",
};

export const Probabilities = z.object({
  angry: z.number().min(0).max(1),
  disgust: z.number().min(0).max(1),
  fear: z.number().min(0).max(1),
  happy: z.number().min(0).max(1),
  sad: z.number().min(0).max(1),
  surprise: z.number().min(0).max(1),
  neutral: z.number().min(0).max(1),
});
export type Probabilities = z.infer<typeof Probabilities>;

/** Why a face gave no reading instead of a guess. */
export const QualityIssue = z.enum(["too_small", "too_blurred", "turned_away"]);
export type QualityIssue = z.infer<typeof QualityIssue>;

/** Stored per reading: `ok`, a quality issue, or `no_face` (a presence beat). */
export const ReadingQuality = z.enum(["ok", "too_small", "too_blurred", "turned_away", "no_face"]);
export type ReadingQuality = z.infer<typeof ReadingQuality>;

export const Box = z.object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() });
export type Box = z.infer<typeof Box>;

export const FaceQuality = z.object({
  ok: z.boolean(),
  reason: QualityIssue.nullable(),
  /** Face box width in source pixels. */
  faceSize: z.number(),
  /** Variance of the Laplacian of the grey crop (higher = sharper). */
  sharpness: z.number(),
  /** Estimated head yaw in degrees (0 = frontal). */
  yaw: z.number(),
});
export type FaceQuality = z.infer<typeof FaceQuality>;

/** One face in an image prediction (REST API and CLI). Probabilities are null when the quality gate refused. */
export const FacePrediction = z.object({
  box: Box,
  score: z.number(),
  dominant: Emotion.nullable(),
  probabilities: Probabilities.nullable(),
  quality: FaceQuality,
});
export type FacePrediction = z.infer<typeof FacePrediction>;

export const ImagePrediction = z.object({ faces: z.array(FacePrediction) });
export type ImagePrediction = z.infer<typeof ImagePrediction>;

export function toProbabilities(values: ArrayLike<number>): Probabilities {
  const out = {} as Probabilities;
  EMOTIONS.forEach((name, i) => (out[name] = values[i] ?? 0));
  return out;
}

export function dominantOf(p: Probabilities): Emotion {
  let best: Emotion = "neutral";
  for (const e of EMOTIONS) if (p[e] > p[best]) best = e;
  return best;
}
