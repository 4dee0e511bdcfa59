import type { DetectOptions, Face, RawImage } from "./types";

/** BlazeFace "front" model: 128x128 RGB input in [-1, 1], 896 anchors (16x16x2 + 8x8x6). */
export const DETECTOR_SIDE = 128;
const IOU_THRESHOLD = 0.3;
const RAW_SCORE_CLIP = 100;

interface Anchor {
  x: number;
  y: number;
}

function buildAnchors(): Anchor[] {
  const anchors: Anchor[] = [];
  for (const [cells, perCell] of [
    [16, 2],
    [8, 6],
  ] as const) {
    for (let row = 0; row < cells; row++)
      for (let col = 0; col < cells; col++) for (let k = 0; k < perCell; k++) anchors.push({ x: (col + 0.5) / cells, y: (row + 0.5) / cells });
  }
  return anchors;
}

export const ANCHORS = buildAnchors();

/** Where the source image sits inside the square detector input. */
export interface Letterbox {
  scale: number;
  padX: number;
  padY: number;
}

export function letterboxOf(width: number, height: number, side = DETECTOR_SIDE): Letterbox {
  const scale = side / Math.max(width, height);
  return { scale, padX: (side - width * scale) / 2, padY: (side - height * scale) / 2 };
}

/** Source pixel indices sampled for each output column (or row): n evenly spaced taps, -1 where outside. */
function sampleTaps(outSide: number, pad: number, step: number, srcSide: number, n: number): Int32Array {
  const taps = new Int32Array(outSide * n);
  for (let o = 0; o < outSide; o++) {
    for (let k = 0; k < n; k++) {
      const s = Math.floor((o - pad + (k + 0.5) / n) * step);
      taps[o * n + k] = s >= 0 && s < srcSide ? s : -1;
    }
  }
  return taps;
}

/** A rectangle of the source image to letterbox instead of all of it, mirrored left to right if asked. */
export interface LetterboxRegion {
  x: number;
  y: number;
  width: number;
  height: number;
  isMirrored?: boolean;
}

/** Moves window taps onto the image: offset by the window's corner, reversed for a mirrored window. */
function placeTaps(taps: Int32Array, start: number, extent: number, isMirrored: boolean): Int32Array {
  for (let i = 0; i < taps.length; i++) if (taps[i]! >= 0) taps[i] = isMirrored ? start + extent - 1 - taps[i]! : start + taps[i]!;
  return taps;
}

/**
 * Letterboxes `image` (or a region of it, read in place) into `out` (NHWC float, side*side*3, values in
 * [-1, 1], padding 0 = mid grey). Each output pixel averages an n*n grid of source pixels so large frames do not alias.
 */
export function letterboxInput(image: RawImage, out: Float32Array, side = DETECTOR_SIDE, region?: LetterboxRegion): Letterbox {
  const r = region ?? { x: 0, y: 0, width: image.width, height: image.height };
  const lb = letterboxOf(r.width, r.height, side);
  const { width: w, channels: c, data } = image;
  const step = 1 / lb.scale;
  const n = Math.min(4, Math.max(1, Math.ceil(step / 2)));
  const xs = placeTaps(sampleTaps(side, lb.padX, step, r.width, n), r.x, r.width, r.isMirrored ?? false);
  const ys = placeTaps(sampleTaps(side, lb.padY, step, r.height, n), r.y, r.height, false);
  const g1 = c === 1 ? 0 : 1,
    g2 = c === 1 ? 0 : 2;
  for (let oy = 0; oy < side; oy++) {
    for (let ox = 0; ox < side; ox++) {
      let r = 0,
        g = 0,
        b = 0,
        count = 0;
      for (let ky = 0; ky < n; ky++) {
        const sy = ys[oy * n + ky]!;
        if (sy < 0) continue;
        const row = sy * w;
        for (let kx = 0; kx < n; kx++) {
          const sx = xs[ox * n + kx]!;
          if (sx < 0) continue;
          const i = (row + sx) * c;
          r += data[i]!;
          g += data[i + g1]!;
          b += data[i + g2]!;
          count++;
        }
      }
      const o = (oy * side + ox) * 3;
      if (count === 0) {
        out[o] = out[o + 1] = out[o + 2] = 0;
      } else {
        const k = 1 / (127.5 * count);
        out[o] = r * k - 1;
        out[o + 1] = g * k - 1;
        out[o + 2] = b * k - 1;
      }
    }
  }
  return lb;
}

interface Candidate {
  score: number;
  /** cx, cy, w, h, then 6 keypoints (x, y), in normalised detector coordinates. */
  geom: Float64Array;
}

function iou(a: Float64Array, b: Float64Array): number {
  const ax0 = a[0]! - a[2]! / 2,
    ay0 = a[1]! - a[3]! / 2,
    ax1 = a[0]! + a[2]! / 2,
    ay1 = a[1]! + a[3]! / 2;
  const bx0 = b[0]! - b[2]! / 2,
    by0 = b[1]! - b[3]! / 2,
    bx1 = b[0]! + b[2]! / 2,
    by1 = b[1]! + b[3]! / 2;
  const iw = Math.max(0, Math.min(ax1, bx1) - Math.max(ax0, bx0));
  const ih = Math.max(0, Math.min(ay1, by1) - Math.max(ay0, by0));
  const inter = iw * ih;
  const union = a[2]! * a[3]! + b[2]! * b[3]! - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Decodes the two score/box heads into candidates above the threshold and merges overlapping
 * ones with MediaPipe's weighted non-max suppression (score-weighted mean geometry, top score kept).
 */
export function decodeDetections(
  heads: Array<{ scores: Float32Array; boxes: Float32Array }>,
  lb: Letterbox,
  options: DetectOptions = {},
  side = DETECTOR_SIDE,
): Face[] {
  const threshold = options.scoreThreshold ?? 0.6;
  const candidates: Candidate[] = [];
  let anchorIndex = 0;
  for (const { scores, boxes } of heads) {
    for (let i = 0; i < scores.length; i++, anchorIndex++) {
      const raw = Math.max(-RAW_SCORE_CLIP, Math.min(RAW_SCORE_CLIP, scores[i]!));
      const score = 1 / (1 + Math.exp(-raw));
      if (score < threshold) continue;
      const a = ANCHORS[anchorIndex]!;
      const o = i * 16;
      const geom = new Float64Array(16);
      geom[0] = a.x + boxes[o]! / side;
      geom[1] = a.y + boxes[o + 1]! / side;
      geom[2] = boxes[o + 2]! / side;
      geom[3] = boxes[o + 3]! / side;
      for (let k = 0; k < 6; k++) {
        geom[4 + k * 2] = a.x + boxes[o + 4 + k * 2]! / side;
        geom[5 + k * 2] = a.y + boxes[o + 5 + k * 2]! / side;
      }
      candidates.push({ score, geom });
    }
  }
  candidates.sort((p, q) => q.score - p.score);
  const merged: Candidate[] = [];
  const used = new Uint8Array(candidates.length);
  for (let i = 0; i < candidates.length; i++) {
    if (used[i]) continue;
    const top = candidates[i]!;
    const acc = new Float64Array(16);
    let total = 0;
    for (let j = i; j < candidates.length; j++) {
      if (used[j]) continue;
      const other = candidates[j]!;
      if (j !== i && iou(top.geom, other.geom) < IOU_THRESHOLD) continue;
      used[j] = 1;
      for (let k = 0; k < 16; k++) acc[k]! += other.geom[k]! * other.score;
      total += other.score;
    }
    for (let k = 0; k < 16; k++) acc[k]! /= total;
    merged.push({ score: top.score, geom: acc });
  }
  const toX = (nx: number) => (nx * side - lb.padX) / lb.scale;
  const toY = (ny: number) => (ny * side - lb.padY) / lb.scale;
  const faces = merged.map(({ score, geom: g }): Face => {
    const width = (g[2]! * side) / lb.scale;
    const height = (g[3]! * side) / lb.scale;
    const keypoints = [];
    for (let k = 0; k < 6; k++) keypoints.push({ x: toX(g[4 + k * 2]!), y: toY(g[5 + k * 2]!) });
    return { box: { x: toX(g[0]!) - width / 2, y: toY(g[1]!) - height / 2, width, height }, score, keypoints };
  });
  // merged is in score order already: the most confident first, never merely the largest
  return faces.slice(0, options.maxFaces ?? 32);
}
