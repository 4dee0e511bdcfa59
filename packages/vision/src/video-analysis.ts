import { AppError, type Emotion, type Probabilities, type ReadingQuality, EMOTIONS } from "@emotion/protocol";
import { FaceTracker, type TrackerOptions } from "./tracker";
import { probeVideo, readFrames, VideoError } from "./video";
import type { Vision } from "./vision";

export interface TrackedReading {
  tMs: number;
  quality: ReadingQuality;
  dominant: Emotion | null;
  probabilities: Probabilities | null;
}

/** A face found in a recording, without its readings. */
export interface FaceSummary {
  /** 1, 2, ... in the order faces are confirmed (seen in `minFrames` frames). */
  id: number;
  name: string;
  /** Frames in which the face was seen (= its readings). */
  framesSeen: number;
  dominant: Emotion | null;
}

/** Readings of one face, part of a batch handed to `onReadings`. */
export interface FaceReadings {
  faceId: number;
  name: string;
  /** Only frames the face was seen in, in time order; absence is the frames without one. */
  readings: TrackedReading[];
}

export interface TrackVideoOptions {
  /** Frames sampled per second (default 2). */
  fps?: number;
  /** Frames are scaled down to this width before detection (default 1280). */
  maxWidth?: number;
  signal?: AbortSignal;
  /** Called after each sampled frame; progress in 0..1, faces confirmed so far. */
  onProgress?: (p: { progress: number; tMs: number; faces: number }) => void;
  /** Tracks seen in fewer frames are dropped as spurious detections (default 2). */
  minFrames?: number;
  tracker?: TrackerOptions;
  scoreThreshold?: number;
  /**
   * Receives the readings of confirmed faces as the video is read, about `batchSize` readings at a
   * time, and is awaited before the next frame (so a slow store slows the analysis, not memory).
   */
  onReadings: (batch: FaceReadings[]) => Promise<void> | void;
  /** Readings handed over per batch (default 500). */
  batchSize?: number;
}

export interface VideoTracking {
  durationS: number;
  frames: number;
  faces: FaceSummary[];
  /** Tracks opened (faces confirmed + spurious tracks dropped). */
  tracks: number;
  /** Readings handed to onReadings (= sum of framesSeen). */
  readings: number;
}

interface OpenTrack {
  face: FaceSummary | null;
  /** Readings before the track is confirmed (fewer than minFrames). */
  early: TrackedReading[];
  counts: number[];
}

/**
 * Samples a video, detects and tracks every face, classifies each one per frame and streams the
 * readings of confirmed faces to `onReadings`. Memory stays bounded whatever the length: at most
 * `tracker.maxTracks` open tracks, each holding fewer than `minFrames` unconfirmed readings, plus one
 * batch of about `batchSize` readings; only a small summary per face is kept to the end.
 * Throws AppError for unreadable files or videos without faces, and the signal's reason when aborted.
 */
export async function trackVideo(vision: Vision, path: string, options: TrackVideoOptions): Promise<VideoTracking> {
  const fps = options.fps ?? 2;
  const minFrames = Math.max(1, options.minFrames ?? 2);
  const batchSize = Math.max(1, options.batchSize ?? 500);
  const info = await probeVideo(path);
  const tracker = new FaceTracker(options.tracker);
  const open = new Map<number, OpenTrack>();
  const faces: FaceSummary[] = [];
  let batch = new Map<number, FaceReadings>();
  let batched = 0;
  let readings = 0;
  let frames = 0;
  let lastT = 0;

  const add = (face: FaceSummary, list: TrackedReading[]) => {
    const entry = batch.get(face.id) ?? { faceId: face.id, name: face.name, readings: [] };
    batch.set(face.id, entry);
    entry.readings.push(...list);
    batched += list.length;
    readings += list.length;
  };
  const flush = async () => {
    if (!batched) return;
    const out = [...batch.values()];
    batch = new Map();
    batched = 0;
    await options.onReadings(out);
  };
  const close = (ids: number[]) => {
    for (const id of ids) {
      const t = open.get(id);
      open.delete(id);
      if (t?.face) t.face.dominant = dominantOf(t.counts);
    }
  };

  const durationMs = (info.durationS ?? 0) * 1000;
  for await (const { tMs, image } of readFrames(path, { fps, maxWidth: options.maxWidth ?? 1280, signal: options.signal })) {
    frames++;
    lastT = tMs;
    const found = await vision.detectFaces(image, { scoreThreshold: options.scoreThreshold });
    const ids = tracker.update(tMs, found);
    close(tracker.takeClosed());
    const readouts = found.length ? await vision.readFaces(image, found) : [];
    ids.forEach((id, i) => {
      const t = open.get(id) ?? { face: null, early: [], counts: new Array<number>(EMOTIONS.length).fill(0) };
      open.set(id, t);
      const { quality, result } = readouts[i]!;
      const reading: TrackedReading = {
        tMs,
        quality: result ? "ok" : quality.reason!,
        dominant: result?.dominant ?? null,
        probabilities: result?.probabilities ?? null,
      };
      if (reading.dominant) t.counts[EMOTIONS.indexOf(reading.dominant)]!++;
      if (t.face) {
        t.face.framesSeen++;
        add(t.face, [reading]);
        return;
      }
      t.early.push(reading);
      if (t.early.length < minFrames) return;
      t.face = { id: faces.length + 1, name: `Face ${faces.length + 1}`, framesSeen: t.early.length, dominant: null };
      faces.push(t.face);
      add(t.face, t.early);
      t.early = [];
    });
    if (batched >= batchSize) await flush();
    options.signal?.throwIfAborted();
    options.onProgress?.({ progress: durationMs > 0 ? Math.min(1, (tMs + 1000 / fps) / durationMs) : 0, tMs, faces: faces.length });
  }
  close(tracker.closeAll());
  if (frames === 0) throw new VideoError("CORRUPT_IMAGE", "no frame of the recording could be decoded", `${path}: no frame could be decoded`);
  if (!faces.length) throw new AppError("VALIDATION_FAILED", "no face was found in the video");
  await flush();
  return { durationS: info.durationS ?? (lastT + 1000 / fps) / 1000, frames, faces, tracks: tracker.opened, readings };
}

function dominantOf(counts: number[]): Emotion | null {
  const best = counts.indexOf(Math.max(...counts));
  return counts[best]! > 0 ? EMOTIONS[best]! : null;
}

export interface TrackedFace extends FaceSummary {
  /** One reading per sampled frame from the face's first appearance on; `no_face` while it is away. */
  readings: TrackedReading[];
}

export interface VideoAnalysis {
  durationS: number;
  frames: number;
  faces: TrackedFace[];
}

export type AnalyzeVideoOptions = Omit<TrackVideoOptions, "onReadings" | "batchSize">;

/**
 * trackVideo collected into memory, with a `no_face` reading for every sampled frame a face was away
 * after its first appearance (the shape the CLI prints and stores). It holds the whole recording's
 * readings: for long recordings use trackVideo, which the server's upload analysis does.
 */
export async function analyzeVideo(vision: Vision, path: string, options: AnalyzeVideoOptions = {}): Promise<VideoAnalysis> {
  const fps = options.fps ?? 2;
  const seen = new Map<number, TrackedReading[]>();
  const result = await trackVideo(vision, path, {
    ...options,
    onReadings: (batch) => {
      for (const f of batch) seen.set(f.faceId, [...(seen.get(f.faceId) ?? []), ...f.readings]);
    },
  });
  const frameTimes = Array.from({ length: result.frames }, (_, i) => Math.round((i * 1000) / fps));
  const faces = result.faces.map((face): TrackedFace => {
    const list = seen.get(face.id) ?? [];
    const byT = new Map(list.map((r) => [r.tMs, r]));
    const first = list[0]?.tMs ?? 0;
    const readings = frameTimes
      .filter((t) => t >= first)
      .map((tMs) => byT.get(tMs) ?? { tMs, quality: "no_face" as const, dominant: null, probabilities: null });
    return { ...face, readings };
  });
  return { durationS: result.durationS, frames: result.frames, faces };
}
