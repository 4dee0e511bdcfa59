import type { Face } from "./types";

/** Why a detection is not taken for a face; null when every check passes. */
export type ImplausibleReason =
  "box_shape" | "box_size" | "keypoints_outside" | "eye_distance" | "eyes_not_above_nose" | "nose_not_above_mouth" | "mouth_position" | "head_roll";

/*
 * Limits around what the 104 verified faces of the photo set (packages/vision/test/photos.ts; frontal,
 * 3/4 and profile, rolled up to 46°) measured, in box widths: eye distance 0.20..0.51, nose 0.16..0.32
 * below the eye line, mouth 0.12..0.26 below the nose and 0.41..0.55 below the eyes. BlazeFace's boxes
 * are square. A detection outside these is no face the detector has placed well: an upside-down or
 * sideways pattern, keypoints strewn beyond the box, a "face" larger than the frame.
 */
const LIMITS = {
  aspect: [0.75, 1.33],
  /** the box may overhang the frame a little (a face at the edge), not be far larger than it */
  maxSideOfFrame: 1.25,
  minSidePx: 8,
  /** keypoints may sit this far (of the box width) outside the box */
  keypointMargin: 0.12,
  eyeDistance: [0.15, 0.62],
  noseBelowEyes: [0.08, 0.45],
  mouthBelowNose: [0.05, 0.4],
  mouthBelowEyes: [0.25, 0.75],
  maxRollDeg: 65,
} as const;

/**
 * Checks that a detection looks like a face: a squarish box no larger than the frame, the eye, nose and
 * mouth keypoints inside it, eyes apart by a face's share of its width, and, in the frame of the eye
 * line, the eyes above the nose above the mouth.
 */
export function judgePlausibility(face: Face, frame: { width: number; height: number }): ImplausibleReason | null {
  const { width: w, height: h } = face.box;
  if (!(w > 0 && h > 0) || w / h < LIMITS.aspect[0] || w / h > LIMITS.aspect[1]) return "box_shape";
  if (w < LIMITS.minSidePx || Math.max(w, h) > LIMITS.maxSideOfFrame * Math.min(frame.width, frame.height)) return "box_size";
  const [e0, e1, nose, mouth] = face.keypoints;
  if (!e0 || !e1 || !nose || !mouth) return "keypoints_outside";
  const m = LIMITS.keypointMargin * w;
  const isInside = (p: { x: number; y: number }) => p.x >= face.box.x - m && p.x <= face.box.x + w + m && p.y >= face.box.y - m && p.y <= face.box.y + h + m;
  if (![e0, e1, nose, mouth].every(isInside)) return "keypoints_outside";
  const ex = e1.x - e0.x,
    ey = e1.y - e0.y;
  const eyeDist = Math.hypot(ex, ey);
  if (eyeDist / w < LIMITS.eyeDistance[0] || eyeDist / w > LIMITS.eyeDistance[1]) return "eye_distance";
  // image-left eye first: a roll past ~65° (or an upside-down face) leaves the eye line too steep or reversed
  if (Math.abs(Math.atan2(ey, ex)) * (180 / Math.PI) > LIMITS.maxRollDeg) return "head_roll";
  // distance below the eye line (positive = towards the chin), in box widths
  const mid = { x: (e0.x + e1.x) / 2, y: (e0.y + e1.y) / 2 };
  const below = (p: { x: number; y: number }) => ((p.x - mid.x) * -ey + (p.y - mid.y) * ex) / eyeDist / w;
  const noseDown = below(nose),
    mouthDown = below(mouth);
  if (noseDown < LIMITS.noseBelowEyes[0] || noseDown > LIMITS.noseBelowEyes[1]) return "eyes_not_above_nose";
  const mouthUnderNose = mouthDown - noseDown;
  if (mouthUnderNose < LIMITS.mouthBelowNose[0] || mouthUnderNose > LIMITS.mouthBelowNose[1]) return "nose_not_above_mouth";
  if (mouthDown < LIMITS.mouthBelowEyes[0] || mouthDown > LIMITS.mouthBelowEyes[1]) return "mouth_position";
  return null;
}
