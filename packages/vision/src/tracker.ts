import type { Face } from "./types";

export interface TrackerOptions {
  /** A track not seen for longer than this is closed; a face returning within it keeps its identity (default 4000). */
  maxGapMs?: number;
  /** Largest centre shift, relative to the face size, for a match (default 0.8). */
  maxShift?: number;
  /** Largest size ratio between matched boxes (default 1.6). */
  maxScale?: number;
}

interface Track {
  id: number;
  lastMs: number;
  cx: number;
  cy: number;
  size: number;
  seen: number;
}

/**
 * Gives faces stable identities across sampled video frames: greedy matching on centre distance
 * (relative to face size) and size ratio against every track seen within `maxGapMs`.
 */
export class FaceTracker {
  private tracks: Track[] = [];
  private nextId = 1;
  private readonly maxGapMs: number;
  private readonly maxShift: number;
  private readonly maxScale: number;

  constructor(options: TrackerOptions = {}) {
    this.maxGapMs = options.maxGapMs ?? 4000;
    this.maxShift = options.maxShift ?? 0.8;
    this.maxScale = options.maxScale ?? 1.6;
  }

  /** Assigns a track id (1, 2, ...) to each face of the frame at `tMs`, in the order given. */
  update(tMs: number, faces: Array<Pick<Face, "box">>): number[] {
    const live = this.tracks.filter((t) => tMs - t.lastMs <= this.maxGapMs);
    const pairs: Array<{ cost: number; face: number; track: Track }> = [];
    faces.forEach((f, i) => {
      const cx = f.box.x + f.box.width / 2, cy = f.box.y + f.box.height / 2, size = Math.max(f.box.width, f.box.height);
      for (const t of live) {
        const shift = Math.hypot(cx - t.cx, cy - t.cy) / Math.max(size, t.size);
        const scale = Math.max(size, t.size) / Math.max(1e-6, Math.min(size, t.size));
        if (shift <= this.maxShift && scale <= this.maxScale) pairs.push({ cost: shift + (scale - 1) * 0.5, face: i, track: t });
      }
    });
    pairs.sort((a, b) => a.cost - b.cost);
    const ids = new Array<number>(faces.length).fill(0);
    const taken = new Set<Track>();
    for (const p of pairs) {
      if (ids[p.face] || taken.has(p.track)) continue;
      ids[p.face] = p.track.id;
      taken.add(p.track);
    }
    faces.forEach((f, i) => {
      const cx = f.box.x + f.box.width / 2, cy = f.box.y + f.box.height / 2, size = Math.max(f.box.width, f.box.height);
      let t = this.tracks.find((x) => x.id === ids[i]);
      if (!t) {
        t = { id: this.nextId++, lastMs: tMs, cx, cy, size, seen: 0 };
        this.tracks.push(t);
        ids[i] = t.id;
      }
      Object.assign(t, { lastMs: tMs, cx, cy, size, seen: t.seen + 1 });
    });
    return ids;
  }

  /** Every track so far with how many frames it was seen in. */
  summary(): Array<{ id: number; frames: number }> {
    return this.tracks.map((t) => ({ id: t.id, frames: t.seen }));
  }
}
