import type { Face } from "./types";

export interface TrackerOptions {
  /** A track not seen for longer than this is closed; a face returning within it keeps its identity (default 4000). */
  maxGapMs?: number;
  /** Largest centre shift, relative to the face size, for a match (default 0.8). */
  maxShift?: number;
  /** Largest size ratio between matched boxes (default 1.6). */
  maxScale?: number;
  /**
   * Most tracks open at once (default 256). Opening one more closes the one seen longest ago, so a
   * video of many short-lived faces costs bounded memory and matching time.
   */
  maxTracks?: number;
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
 * (relative to face size) and size ratio against every open track. A track is closed once it has not
 * been seen for `maxGapMs` (its id is never given again); `takeClosed()` hands over the closed ids.
 */
export class FaceTracker {
  private tracks: Track[] = [];
  private closed: number[] = [];
  private nextId = 1;
  private readonly maxGapMs: number;
  private readonly maxShift: number;
  private readonly maxScale: number;
  private readonly maxTracks: number;

  constructor(options: TrackerOptions = {}) {
    this.maxGapMs = options.maxGapMs ?? 4000;
    this.maxShift = options.maxShift ?? 0.8;
    this.maxScale = options.maxScale ?? 1.6;
    this.maxTracks = Math.max(1, options.maxTracks ?? 256);
  }

  /** Assigns a track id (1, 2, ...) to each face of the frame at `tMs`, in the order given. */
  update(tMs: number, faces: Array<Pick<Face, "box">>): number[] {
    this.closeWhere((t) => tMs - t.lastMs > this.maxGapMs);
    const boxes = faces.map((f) => ({ cx: f.box.x + f.box.width / 2, cy: f.box.y + f.box.height / 2, size: Math.max(f.box.width, f.box.height) }));
    const pairs: Array<{ cost: number; face: number; track: Track }> = [];
    boxes.forEach(({ cx, cy, size }, i) => {
      for (const t of this.tracks) {
        const shift = Math.hypot(cx - t.cx, cy - t.cy) / Math.max(size, t.size);
        const scale = Math.max(size, t.size) / Math.max(1e-6, Math.min(size, t.size));
        if (shift <= this.maxShift && scale <= this.maxScale) pairs.push({ cost: shift + (scale - 1) * 0.5, face: i, track: t });
      }
    });
    pairs.sort((a, b) => a.cost - b.cost);
    const matched = new Array<Track | null>(faces.length).fill(null);
    const taken = new Set<Track>();
    for (const p of pairs) {
      if (matched[p.face] || taken.has(p.track)) continue;
      matched[p.face] = p.track;
      taken.add(p.track);
    }
    return boxes.map((box, i) => {
      let t = matched[i];
      if (!t) {
        if (this.tracks.length >= this.maxTracks) this.evictOldest(taken);
        t = { id: this.nextId++, lastMs: tMs, ...box, seen: 0 };
        this.tracks.push(t);
        taken.add(t);
      }
      Object.assign(t, { lastMs: tMs, ...box, seen: t.seen + 1 });
      return t.id;
    });
  }

  /** Ids of the tracks closed since the last call, oldest first. */
  takeClosed(): number[] {
    return this.closed.splice(0);
  }

  /** Closes every open track (end of the video) and returns the ids closed since the last takeClosed. */
  closeAll(): number[] {
    this.closeWhere(() => true);
    return this.takeClosed();
  }

  /** The open tracks with how many frames each was seen in. */
  summary(): Array<{ id: number; frames: number }> {
    return this.tracks.map((t) => ({ id: t.id, frames: t.seen }));
  }

  /** Tracks opened so far (open and closed). */
  get opened(): number {
    return this.nextId - 1;
  }

  private closeWhere(isDone: (t: Track) => boolean): void {
    const keep: Track[] = [];
    for (const t of this.tracks) {
      if (isDone(t)) this.closed.push(t.id);
      else keep.push(t);
    }
    this.tracks = keep;
  }

  /** At the cap: the track seen longest ago (not one used in this frame) makes room. */
  private evictOldest(inUse: Set<Track>): void {
    let oldest: Track | null = null;
    for (const t of this.tracks) if (!inUse.has(t) && (!oldest || t.lastMs < oldest.lastMs)) oldest = t;
    if (oldest) this.closeWhere((t) => t === oldest);
  }
}
