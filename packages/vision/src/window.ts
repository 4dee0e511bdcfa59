import { AppError } from "@emotion/protocol";
import type { DetectOptions, Face } from "./types";

/** A face found in a mirrored window of `width` seen in the unmirrored one: x flipped, the eyes and ears swapped back to image-left first. */
export function unmirrorFace(face: Face, width: number): Face {
  const flipped = face.keypoints.map((p) => ({ x: width - p.x, y: p.y }));
  const order = [1, 0, 2, 3, 5, 4];
  return {
    box: { ...face.box, x: width - face.box.x - face.box.width },
    score: face.score,
    keypoints: flipped.length === 6 ? order.map((i) => flipped[i]!) : flipped,
  };
}

/** The face moved by (dx, dy): from a window's pixels to the image's. */
export function shiftFace(face: Face, dx: number, dy: number): Face {
  return {
    box: { ...face.box, x: face.box.x + dx, y: face.box.y + dy },
    score: face.score,
    keypoints: face.keypoints.map((p) => ({ x: p.x + dx, y: p.y + dy })),
  };
}

/** Rejects options out of range with a coded error naming the field. */
export function checkDetectOptions(options: DetectOptions = {}): void {
  const { scoreThreshold, maxFaces } = options;
  if (scoreThreshold !== undefined && !(scoreThreshold >= 0 && scoreThreshold <= 1))
    throw new AppError("VALIDATION_FAILED", `scoreThreshold must be between 0 and 1, got ${scoreThreshold}`);
  if (maxFaces !== undefined && !(Number.isInteger(maxFaces) && maxFaces >= 1 && maxFaces <= 896))
    throw new AppError("VALIDATION_FAILED", `maxFaces must be a whole number from 1 to 896, got ${maxFaces}`);
}
