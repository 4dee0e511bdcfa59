import { AppError, type Emotion, type Probabilities, type ReadingQuality, EMOTIONS } from "@emotion/protocol";
import { FaceTracker, type TrackerOptions } from "./tracker";
import { probeVideo, readFrames } from "./video";
import type { Vision } from "./vision";

export interface TrackedReading {
  tMs: number;
  quality: ReadingQuality;
  dominant: Emotion | null;
  probabilities: Probabilities | null;
}

export interface TrackedFace {
  /** 1, 2, ... in order of first appearance (after dropping spurious tracks). */
  id: number;
  name: string;
  /** One reading per sampled frame from the face's first appearance on; `no_face` while it is away. */
  readings: TrackedReading[];
  /** Frames in which the face was seen. */
  framesSeen: number;
  dominant: Emotion | null;
}

export interface VideoAnalysis {
  durationS: number;
  frames: number;
  faces: TrackedFace[];
}

export interface AnalyzeVideoOptions {
  /** Frames sampled per second (default 2). */
  fps?: number;
  /** Frames are scaled down to this width before detection (default 1280). */
  maxWidth?: number;
  signal?: AbortSignal;
  /** Called after each sampled frame; progress in 0..1. */
  onProgress?: (p: { progress: number; tMs: number; faces: number }) => void;
  /** Tracks seen in fewer frames are dropped as spurious detections (default 2). */
  minFrames?: number;
  tracker?: TrackerOptions;
  scoreThreshold?: number;
}

/**
 * Samples a video, detects and tracks every face with a stable identity, classifies each one per
 * frame, and returns per-face timelines. Throws AppError for unreadable files or videos without faces.
 */
export async function analyzeVideo(vision: Vision, path: string, options: AnalyzeVideoOptions = {}): Promise<VideoAnalysis> {
  const fps = options.fps ?? 2;
  const info = await probeVideo(path);
  const tracker = new FaceTracker(options.tracker);
  const tracks = new Map<number, { readings: TrackedReading[]; seen: number }>();
  let frames = 0;
  let lastT = 0;
  for await (const { tMs, image } of readFrames(path, { fps, maxWidth: options.maxWidth ?? 1280, signal: options.signal })) {
    frames++;
    lastT = tMs;
    const faces = await vision.detectFaces(image, { scoreThreshold: options.scoreThreshold });
    const ids = tracker.update(tMs, faces);
    const readouts = await vision.readFaces(image, faces);
    const seenNow = new Set<number>();
    ids.forEach((id, i) => {
      seenNow.add(id);
      const track = tracks.get(id) ?? { readings: [], seen: 0 };
      tracks.set(id, track);
      track.seen++;
      const { quality, result: res } = readouts[i]!;
      track.readings.push({
        tMs,
        quality: res ? "ok" : quality.reason!,
        dominant: res?.dominant ?? null,
        probabilities: res?.probabilities ?? null,
      });
    });
    for (const [id, track] of tracks) {
      if (!seenNow.has(id)) track.readings.push({ tMs, quality: "no_face", dominant: null, probabilities: null });
    }
    const durationMs = (info.durationS ?? 0) * 1000;
    options.onProgress?.({ progress: durationMs > 0 ? Math.min(1, (tMs + 1000 / fps) / durationMs) : 0, tMs, faces: tracks.size });
  }
  if (frames === 0) throw new AppError("CORRUPT_IMAGE", `${path}: no frame could be decoded`);
  const minFrames = options.minFrames ?? 2;
  const kept = [...tracks.entries()].filter(([, t]) => t.seen >= minFrames).sort((a, b) => a[0] - b[0]);
  if (!kept.length) throw new AppError("VALIDATION_FAILED", "no face was found in the video");
  const faces = kept.map(([, t], i): TrackedFace => {
    const counts = new Array<number>(EMOTIONS.length).fill(0);
    for (const r of t.readings) if (r.dominant) counts[EMOTIONS.indexOf(r.dominant)]!++;
    const best = counts.indexOf(Math.max(...counts));
    return { id: i + 1, name: `Face ${i + 1}`, readings: t.readings, framesSeen: t.seen, dominant: counts[best]! > 0 ? EMOTIONS[best]! : null };
  });
  return { durationS: info.durationS ?? (lastT + 1000 / fps) / 1000, frames, faces };
}
