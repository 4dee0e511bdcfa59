import { EMOTIONS, ReadingQuality, type Emotion, type Probabilities } from "@emotion/protocol";

/** Stored quality codes (readings.quality). Append only: the numbers are in the data. */
export const QUALITY_CODES = ["ok", "too_small", "too_blurred", "turned_away", "no_face"] as const satisfies readonly ReadingQuality[];

export function encodeQuality(q: ReadingQuality): number {
  return QUALITY_CODES.indexOf(q);
}

export function decodeQuality(code: number): ReadingQuality {
  return QUALITY_CODES[code] ?? "no_face";
}

export function encodeEmotion(e: Emotion | null): number | null {
  return e === null ? null : EMOTIONS.indexOf(e);
}

export function decodeEmotion(code: number | null): Emotion | null {
  return code === null ? null : (EMOTIONS[code] ?? null);
}

/** Probability 0..1 -> permille 0..1000 (smallint). */
export function toPermille(p: number): number {
  return Math.max(0, Math.min(1000, Math.round(p * 1000)));
}

/** Seven permille columns in EMOTIONS order -> probabilities, or null when any is null. */
export function fromPermille(values: ReadonlyArray<number | null>): Probabilities | null {
  if (values.some((v) => v === null || v === undefined)) return null;
  const out = {} as Probabilities;
  EMOTIONS.forEach((e, i) => (out[e] = (values[i] as number) / 1000));
  return out;
}
