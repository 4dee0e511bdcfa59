import type { FaceQuality } from "@emotion/protocol";
import type { Face, FaceCrop, QualityOptions, RawImage } from "./types";
import { estimateYaw } from "./head-pose";

export { estimateYaw };

/** Crop side relative to the detector box: FER2013 faces fill most of the frame, chin to brow plus a little. */
const CROP_SCALE = 1.1;
/** Shift the crop centre down a little: BlazeFace boxes sit high (brow line to chin). */
const CENTRE_SHIFT = 0.05;

export const DEFAULT_QUALITY: Required<QualityOptions> = { minFaceSize: 40, minSharpness: 60, maxYaw: 48 };

/** BT.601 luma of pixel `p` (an index in pixels, not bytes). */
function lumaAt(data: RawImage["data"], c: number, p: number): number {
  const i = p * c;
  return c === 1 ? data[i]! : 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
}

/** Variance of the 4-neighbour Laplacian: low on blurred crops. */
export function laplacianVariance(pixels: Uint8Array, side: number): number {
  let sum = 0,
    sumSq = 0,
    n = 0;
  for (let y = 1; y < side - 1; y++) {
    for (let x = 1; x < side - 1; x++) {
      const i = y * side + x;
      const v = 4 * pixels[i]! - pixels[i - 1]! - pixels[i + 1]! - pixels[i - side]! - pixels[i + side]!;
      sum += v;
      sumSq += v * v;
      n++;
    }
  }
  const mean = sum / n;
  return sumSq / n - mean * mean;
}

/**
 * Cuts a grey square around the face, rotated so the eyes are level, resized to `side`
 * (each output pixel averages up to 4x4 bilinear samples), and judges whether it is good enough to classify.
 */
export function cropFace(image: RawImage, face: Face, side: number, options: QualityOptions = {}): FaceCrop {
  const q = { ...DEFAULT_QUALITY, ...options };
  const [e0, e1] = face.keypoints;
  const angle = e0 && e1 ? Math.atan2(e1.y - e0.y, e1.x - e0.x) : 0;
  const cos = Math.cos(angle),
    sin = Math.sin(angle);
  const size = Math.max(face.box.width, face.box.height) * CROP_SCALE;
  const cx = face.box.x + face.box.width / 2 - sin * size * CENTRE_SHIFT;
  const cy = face.box.y + face.box.height / 2 + cos * size * CENTRE_SHIFT;
  const step = size / side;
  const n = Math.min(4, Math.max(1, Math.round(step)));
  const { width: w, height: h, channels: c, data } = image;
  const pixels = new Uint8Array(side * side);
  for (let v = 0; v < side; v++) {
    for (let u = 0; u < side; u++) {
      let acc = 0;
      for (let sv = 0; sv < n; sv++) {
        const ly = (v + (sv + 0.5) / n) * step - size / 2;
        for (let su = 0; su < n; su++) {
          const lx = (u + (su + 0.5) / n) * step - size / 2;
          // bilinear sample of the luma, clamped at the image's edges
          const fx = Math.min(w - 1, Math.max(0, cx + lx * cos - ly * sin - 0.5));
          const fy = Math.min(h - 1, Math.max(0, cy + lx * sin + ly * cos - 0.5));
          const x0 = fx | 0,
            y0 = fy | 0;
          const x1 = x0 + 1 < w ? x0 + 1 : x0,
            y1 = y0 + 1 < h ? y0 + 1 : y0;
          const dx = fx - x0,
            dy = fy - y0;
          const r0 = y0 * w,
            r1 = y1 * w;
          acc +=
            (lumaAt(data, c, r0 + x0) * (1 - dx) + lumaAt(data, c, r0 + x1) * dx) * (1 - dy) +
            (lumaAt(data, c, r1 + x0) * (1 - dx) + lumaAt(data, c, r1 + x1) * dx) * dy;
        }
      }
      pixels[v * side + u] = Math.round(acc / (n * n));
    }
  }
  const sharpness = laplacianVariance(pixels, side);
  const yaw = estimateYaw(face);
  const faceSize = face.box.width;
  let reason: FaceQuality["reason"] = null;
  if (faceSize < q.minFaceSize) reason = "too_small";
  else if (Math.abs(yaw) > q.maxYaw) reason = "turned_away";
  else if (sharpness < q.minSharpness) reason = "too_blurred";
  return { side, pixels, quality: { ok: reason === null, reason, faceSize, sharpness, yaw } };
}
