import type { Face, Point } from "./types";

/*
 * Head yaw from BlazeFace's six keypoints. For a head turned by yaw t, seen along the eye line, the
 * nose tip (depth D ahead of the ear axis) moves by D sin t while the ears (half-span R) close in to
 * R cos t: the nose's offset from the ear midpoint over the ear half-span is (D/R) tan t. The eye
 * midpoint and the nose's offset from it follow the same law with smaller depths. Each of the three
 * ratios gives an angle; their median is robust to one misplaced keypoint. The ears and the eyes
 * closing in (ear span and inter-ocular distance over the box width, against a frontal face's: cos t)
 * give the size of the angle without its sign, from cues that do not depend on the nose at all; the
 * estimate averages the two.
 *
 * Calibration (packages/vision/test/photos.ts): the mirror image of every face must give the negated
 * yaw, frontal faces ~0; the gains are the fitted ratios between the three offsets on the photo set
 * (eye-mid/ear 0.62, nose/eye 0.80 of nose/ear), with D/R = 1.4 from head proportions (tragion to nose
 * tip ~10 cm, half the bitragion breadth ~7 cm). On the set's 96 near-frontal faces (turned up to
 * ~40°) it reads 1..43.5° (median 11°), on its 5 profiles 58..63°: BlazeFace's keypoints saturate on
 * profiles (the hidden ear is guessed at the cheek), so a true 90° reads ~60°. The quality gate's
 * limit, 48°, sits between the two.
 */
const NOSE_EAR_GAIN = 1.4;
const NOSE_EYE_GAIN = NOSE_EAR_GAIN * 0.8;
const EYE_EAR_GAIN = NOSE_EAR_GAIN * 0.62;
/** Ear span and eye distance over box width of a frontal face (medians of the frontal faces of the photo set). */
const FRONTAL_EAR_SPAN = 0.9;
const FRONTAL_EYE_DISTANCE = 0.42;
const DEG = 180 / Math.PI;

function median3(a: number, b: number, c: number): number {
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}

/**
 * Head yaw in degrees (positive: the nose towards the image's right), from the nose, eye and ear
 * keypoints in the eye-aligned frame; 90 when the eyes coincide (no face geometry to judge).
 */
export function estimateYaw(face: Face): number {
  const [e0, e1, nose, , ear0, ear1] = face.keypoints as Array<Point | undefined>;
  if (!e0 || !e1 || !nose) return 0;
  const ex = e1.x - e0.x,
    ey = e1.y - e0.y;
  const eyeDist = Math.hypot(ex, ey);
  if (eyeDist < 1e-6) return 90;
  const along = (p: Point) => (p.x * ex + p.y * ey) / eyeDist;
  const eyeMid = (along(e0) + along(e1)) / 2;
  const noseEye = Math.atan((along(nose) - eyeMid) / (eyeDist / 2) / NOSE_EYE_GAIN) * DEG;
  if (!ear0 || !ear1) return noseEye;
  const earMid = (along(ear0) + along(ear1)) / 2;
  const earHalf = Math.abs(along(ear1) - along(ear0)) / 2;
  if (earHalf < 1e-6) return Math.sign(noseEye || 1) * 90;
  const noseEar = Math.atan((along(nose) - earMid) / earHalf / NOSE_EAR_GAIN) * DEG;
  const eyeEar = Math.atan((eyeMid - earMid) / earHalf / EYE_EAR_GAIN) * DEG;
  const signed = median3(noseEye, noseEar, eyeEar);
  const boxWidth = Math.max(face.box.width, 1e-6);
  const foreshortened = (share: number) => Math.acos(Math.min(1, share)) * DEG;
  const closing = (foreshortened((2 * earHalf) / boxWidth / FRONTAL_EAR_SPAN) + foreshortened(eyeDist / boxWidth / FRONTAL_EYE_DISTANCE)) / 2;
  return (Math.sign(signed) * (Math.abs(signed) + closing)) / 2;
}
