import type { DetectOptions, Face } from "./types";
import { judgePlausibility } from "./plausibility";

/** A rectangle of the source image, in source pixels, that the detector looks at on its own. */
export interface Window {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Runs the detector on one window of the image (left-right mirrored if asked) and returns its faces in source pixels. */
export type RunWindow = (window: Window, minScore: number, isMirrored: boolean) => Promise<Face[]>;

/*
 * BlazeFace's front model is trained on faces filling a good part of its 128 px input. In a group
 * photo a face is ~10 % of the frame (~15 px in the input): it scores 0.3..0.8, its keypoints are
 * off by several pixels, and a textured background (a dark door, hair, a window) scores about as high.
 * So the search is:
 * 1. candidates from the whole frame and from overlapping tiles (faces twice as large), from 0.4
 *    (the lowest first-look score of a face of the photo set was 0.54);
 * 2. each candidate is looked at again, up close, four times: in a window 2.2x its size (the face
 *    fills ~45 % of the input), the same window mirrored, and windows 1.6x and 3.2x its size. A real
 *    face scores high in all four, a background pattern fails at least one. The face's score is the
 *    lowest of the four; its geometry the mean of the direct and mirrored views, so a mirrored photo
 *    gives the mirrored face;
 * 3. the verified face must pass the score threshold and the plausibility checks.
 * Threshold: on the photo set (packages/vision/test/photos.ts) the 100 real faces scored 0.665 and
 * more, the best background 0.541; on 240 random face-free crops of the samples and 72 faces pasted
 * on busy backgrounds (not in the set) the best background scored 0.64. Hence 0.65.
 */
export const DEFAULT_SCORE_THRESHOLD = 0.65;
const CANDIDATE_SCORE = 0.4;
const VIEW_SCALES = [2.2, 1.6, 3.2] as const;
/** Tiles are half the frame's longer side; below this frame size the faces are large enough already. */
const MIN_TILED_SIDE = 480;
const MERGE_IOU = 0.3;
/** A verified face at least this share of the frame's longer side is a close-up: no tiles (see searchFaces). */
const CLOSE_UP_SHARE = 0.2;
/** Scores this close count as a tie, settled by the distance to the frame centre. */
const SCORE_TIE = 0.02;

/** The whole frame, then (on frames of at least MIN_TILED_SIDE) square tiles of half its longer side, overlapping by half. */
export function searchWindows(width: number, height: number): Window[] {
  const windows: Window[] = [{ x: 0, y: 0, width, height }];
  const long = Math.max(width, height);
  if (long < MIN_TILED_SIDE) return windows;
  const side = Math.round(long / 2);
  const starts = (extent: number) => {
    if (extent <= side) return [0];
    const count = Math.ceil((extent - side) / (side / 2)) + 1;
    return Array.from({ length: count }, (_, i) => Math.round(((extent - side) * i) / (count - 1)));
  };
  for (const y of starts(height)) for (const x of starts(width)) windows.push({ x, y, width: Math.min(side, width - x), height: Math.min(side, height - y) });
  return windows;
}

function iou(a: Face["box"], b: Face["box"]): number {
  const iw = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const ih = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = iw * ih;
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/** Keeps the best-scoring face of each overlapping group. */
function mergeOverlaps(faces: Face[]): Face[] {
  const kept: Face[] = [];
  for (const f of [...faces].sort((p, q) => q.score - p.score)) if (kept.every((k) => iou(k.box, f.box) < MERGE_IOU)) kept.push(f);
  return kept;
}

/** The square `scale` times the candidate's box around its centre, clipped to the image. */
function viewWindow(face: Face, scale: number, width: number, height: number): Window {
  const side = Math.max(face.box.width, face.box.height) * scale;
  const cx = face.box.x + face.box.width / 2,
    cy = face.box.y + face.box.height / 2;
  const x0 = Math.max(0, Math.floor(cx - side / 2)),
    y0 = Math.max(0, Math.floor(cy - side / 2));
  const x1 = Math.min(width, Math.ceil(cx + side / 2)),
    y1 = Math.min(height, Math.ceil(cy + side / 2));
  return { x: x0, y: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0) };
}

/** The detection of one view that overlaps the candidate most, or null when none does. */
async function lookAgain(run: RunWindow, face: Face, window: Window, isMirrored: boolean): Promise<Face | null> {
  let best: Face | null = null,
    bestOverlap = MERGE_IOU;
  for (const c of await run(window, CANDIDATE_SCORE, isMirrored)) {
    const overlap = iou(c.box, face.box);
    if (overlap >= bestOverlap) [best, bestOverlap] = [c, overlap];
  }
  return best;
}

function averageFaces(a: Face, b: Face, score: number): Face {
  const mean = (p: number, q: number) => (p + q) / 2;
  return {
    box: { x: mean(a.box.x, b.box.x), y: mean(a.box.y, b.box.y), width: mean(a.box.width, b.box.width), height: mean(a.box.height, b.box.height) },
    score,
    keypoints: a.keypoints.map((p, i) => ({ x: mean(p.x, b.keypoints[i]!.x), y: mean(p.y, b.keypoints[i]!.y) })),
  };
}

/** The candidate verified up close (see above), or null when a view does not find it. */
async function verifyCandidate(run: RunWindow, face: Face, width: number, height: number, minScore: number): Promise<Face | null> {
  const near = viewWindow(face, VIEW_SCALES[0], width, height);
  // the direct view first: most background candidates fail it, and then need no further look
  const direct = await lookAgain(run, face, near, false);
  if (!direct || direct.score < minScore) return null;
  const mirrored = await lookAgain(run, face, near, true);
  const close = mirrored && (await lookAgain(run, face, viewWindow(face, VIEW_SCALES[1], width, height), false));
  const wide = close && (await lookAgain(run, face, viewWindow(face, VIEW_SCALES[2], width, height), false));
  if (!mirrored || !close || !wide) return null;
  return averageFaces(direct, mirrored, Math.min(direct.score, mirrored.score, close.score, wide.score));
}

/** Most confident first; near-equal scores (within SCORE_TIE) by distance to the frame centre. */
export function orderFaces(faces: Face[], width: number, height: number): Face[] {
  const off = (f: Face) => Math.hypot(f.box.x + f.box.width / 2 - width / 2, f.box.y + f.box.height / 2 - height / 2);
  const band = (f: Face) => Math.round(f.score / SCORE_TIE);
  return [...faces].sort((p, q) => band(q) - band(p) || off(p) - off(q) || q.score - p.score);
}

/** Finds the plausible faces of a width x height image through `run`, most confident first. */
export async function searchFaces(run: RunWindow, width: number, height: number, options: DetectOptions = {}): Promise<Face[]> {
  const threshold = options.scoreThreshold ?? DEFAULT_SCORE_THRESHOLD;
  const minScore = Math.min(threshold, CANDIDATE_SCORE);
  // Each window is run once (a close-up's wide views clip to the whole frame, already run), and every
  // run keeps detections from the candidates' score: a view scoring below it fails the threshold anyway.
  const seen = new Map<string, Face[]>();
  const runOnce: RunWindow = async (w, _min, isMirrored) => {
    const key = `${w.x},${w.y},${w.width},${w.height},${isMirrored}`;
    let out = seen.get(key);
    if (!out) seen.set(key, (out = await run(w, minScore, isMirrored)));
    return out;
  };
  const candidatesOf = (w: Window) => runOnce(w, minScore, false);
  const faces: Face[] = [];
  // one detector run at a time: onnxruntime-web does not take concurrent runs of one session, and on
  // Node concurrent requests keep the cores busy anyway
  const verifyAll = async (candidates: Face[]) => {
    for (const candidate of mergeOverlaps(candidates)) {
      if (faces.some((f) => iou(f.box, candidate.box) >= MERGE_IOU)) continue;
      const face = await verifyCandidate(runOnce, candidate, width, height, threshold);
      if (face && face.score >= threshold && judgePlausibility(face, { width, height }) === null) faces.push(face);
    }
  };
  const [whole, ...tiles] = searchWindows(width, height);
  await verifyAll(await candidatesOf(whole!));
  // The tiles are there for faces too small for the whole-frame look. A close-up (a listener at
  // their webcam) makes any such face a bystander in the background: not worth 6 more runs a frame.
  const isCloseUp = faces.some((f) => Math.max(f.box.width, f.box.height) >= CLOSE_UP_SHARE * Math.max(width, height));
  if (!isCloseUp && tiles.length > 0) {
    const found: Face[] = [];
    for (const w of tiles) found.push(...(await candidatesOf(w)));
    await verifyAll(found);
  }
  return orderFaces(mergeOverlaps(faces), width, height).slice(0, options.maxFaces ?? 32);
}
