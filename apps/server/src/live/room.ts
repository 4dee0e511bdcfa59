import type { TemporalState } from "@emotion/vision/temporal";
import type { ListenerSnapshot } from "./types";
import {
  EMOTIONS,
  type Emotion,
  type ListenerTile,
  type Presence,
  type Probabilities,
  type ReadingQuality,
  type RoomMood,
  type SessionStatus,
} from "@emotion/protocol";

export interface LatestReading {
  /** Server time it was classified, epoch ms. */
  at: number;
  quality: ReadingQuality;
  dominant: Emotion | null;
  probabilities: Probabilities | null;
  confidence: number | null;
  /** The listener's capture stamp (its clock) of this reading. */
  capturedAt?: number;
}

export interface ListenerEntry {
  id: string;
  name: string;
  joinedAt: number;
  /** The socket holding this listener on this instance; null when not connected here. */
  socketId: string | null;
  state: "active" | "paused" | "camera_off";
  hasLeft: boolean;
  /** When this listener left through this instance (epoch ms): other instances keep hearing of it for a while. */
  leftAt?: number;
  latest: LatestReading | null;
  /** t_ms of this listener's last few readings on this instance (see claimTMs). */
  recentTMs?: number[];
  /** Capture time (server clock) of the reading in `latest`. */
  latestCapture?: number;
  /** The temporal filter's state for this listener, the capture time it has reached, and its step queue. */
  filter?: { state: TemporalState | null; at: number; queue: Promise<unknown> };
}

const RECENT_T_MS = 16;

/**
 * A t_ms for the listener's next reading that none of its recent readings has. (session, participant,
 * t_ms) is the readings key and a duplicate is dropped on insert, so two readings on the same
 * millisecond (two crops received together when a capture stamp is replaced by the receive time) would
 * otherwise lose one; the later one moves by a millisecond instead.
 */
export function claimTMs(entry: ListenerEntry, tMs: number): number {
  const recent = (entry.recentTMs ??= []);
  let t = Math.max(0, Math.round(tMs));
  while (recent.includes(t)) t++;
  recent.push(t);
  if (recent.length > RECENT_T_MS) recent.shift();
  return t;
}

/** A remote listener counts as connected while its instance's snapshots keep coming (they come each second). */
export const REMOTE_FRESH_MS = 3500;
/** How long an instance keeps telling the others about a listener who left through it. */
const LEFT_ANNOUNCE_MS = 60_000;
/** Stands for "connected to another instance" in the merged view (presenceOf only asks whether it is set). */
const REMOTE_SOCKET = "remote";

const emptyProbabilities = (): Probabilities => Object.fromEntries(EMOTIONS.map((e) => [e, 0])) as Probabilities;

/**
 * One session's live state on this instance. It is a cache: everything in it can be rebuilt from the
 * database (participants, their latest readings, the session's status), which is what a fresh
 * instance does on first use (see LiveHub.room).
 */
export class RoomState {
  /** Listeners this instance knows first-hand: connected here, or loaded from the database. */
  readonly listeners = new Map<string, ListenerEntry>();
  /** Listeners connected to other instances, from their last snapshot (cluster mode). */
  private readonly remote = new Map<string, { entry: ListenerEntry; from: string; at: number }>();
  /** Until when a speaker on some instance wants every reading of this session (cluster mode). */
  readersUntil = 0;

  constructor(
    readonly sessionId: string,
    public status: SessionStatus,
    public startedAt: number | null,
    /** A reading older than this no longer counts as "present". */
    private readonly staleMs: number,
  ) {}

  upsert(entry: Pick<ListenerEntry, "id" | "name" | "joinedAt"> & Partial<ListenerEntry>): ListenerEntry {
    const existing = this.listeners.get(entry.id);
    const next: ListenerEntry = { socketId: null, state: "active", hasLeft: false, latest: null, ...existing, ...entry };
    this.listeners.set(entry.id, next);
    return next;
  }

  presenceOf(l: ListenerEntry, now: number): Presence {
    if (l.hasLeft) return "left";
    // Listeners not connected here (another instance, or a restart) count as gone once they fall silent.
    const lastSeen = l.latest?.at ?? l.joinedAt;
    if (!l.socketId && now - lastSeen > 30_000) return "left";
    if (l.state !== "active") return l.state;
    if (l.latest && l.latest.quality === "ok" && now - l.latest.at <= this.staleMs) return "face";
    return "no_face";
  }

  /** Listeners who have not left, on every instance (the per-session cap counts these). */
  presentListeners(now = Date.now()): number {
    let n = 0;
    for (const l of this.view(now)) if (!l.hasLeft) n++;
    return n;
  }

  /** What this instance tells the others: its connected listeners and those who left through it lately. */
  snapshot(now: number): ListenerSnapshot[] {
    const out: ListenerSnapshot[] = [];
    for (const l of this.listeners.values()) {
      const isLocal = l.socketId !== null || (l.leftAt !== undefined && now - l.leftAt <= LEFT_ANNOUNCE_MS);
      if (isLocal) out.push({ id: l.id, name: l.name, joinedAt: l.joinedAt, state: l.state, hasLeft: l.hasLeft, latest: l.latest });
    }
    return out;
  }

  /** Takes in another instance's snapshot of its listeners. */
  applySnapshot(from: string, at: number, listeners: ListenerSnapshot[]): void {
    for (const l of listeners)
      this.remote.set(l.id, {
        from,
        at,
        entry: {
          id: l.id,
          name: l.name,
          joinedAt: l.joinedAt,
          socketId: null,
          state: l.state,
          hasLeft: l.hasLeft,
          latest: l.latest as LatestReading | null,
        },
      });
  }

  /**
   * Every listener once, on whichever instance knows it best: connected here wins, then a fresh
   * snapshot from the instance it is connected to, then whatever saw the newest reading. A listener
   * whose instance stopped sending (it died) reads as not connected, so it turns "left" once silent.
   */
  *view(now: number): Iterable<ListenerEntry> {
    for (const [id, r] of this.remote) {
      const isFresh = now - r.at <= REMOTE_FRESH_MS;
      const local = this.listeners.get(id);
      if (local?.socketId) continue;
      if (!isFresh && now - r.at > LEFT_ANNOUNCE_MS + REMOTE_FRESH_MS) {
        this.remote.delete(id); // long gone; the database-loaded entry (if any) speaks for it
        continue;
      }
      const isBetter = isFresh || !local || (r.entry.latest?.at ?? 0) > (local.latest?.at ?? 0);
      if (isBetter) yield isFresh && !r.entry.hasLeft ? { ...r.entry, socketId: REMOTE_SOCKET } : r.entry;
    }
    for (const [id, l] of this.listeners) {
      const r = this.remote.get(id);
      if (r && !l.socketId) {
        const isFresh = now - r.at <= REMOTE_FRESH_MS;
        if (isFresh || (r.entry.latest?.at ?? 0) > (l.latest?.at ?? 0)) continue; // yielded above
      }
      yield l;
    }
  }

  /**
   * The room as the dashboard shows it: O(listeners). `maxLeftTiles` bounds the tiles of listeners who
   * left (the most recently joined are kept), so a join/leave loop cannot grow the message without end.
   */
  mood(now = Date.now(), maxLeftTiles = Infinity): RoomMood {
    const shares = emptyProbabilities();
    const sum = emptyProbabilities();
    const tiles: ListenerTile[] = [];
    let listenerCount = 0;
    let presentCount = 0;
    for (const l of this.view(now)) {
      const presence = this.presenceOf(l, now);
      const isFace = presence === "face" && l.latest?.probabilities && l.latest.dominant;
      if (presence !== "left") listenerCount++;
      if (isFace) {
        presentCount++;
        shares[l.latest!.dominant!]++;
        for (const e of EMOTIONS) sum[e] += l.latest!.probabilities![e];
      }
      tiles.push({
        id: l.id,
        name: l.name,
        presence,
        dominant: isFace ? l.latest!.dominant : null,
        confidence: isFace ? l.latest!.confidence : null,
        lastAt: l.latest?.at ?? null,
        capturedAt: isFace ? (l.latest!.capturedAt ?? null) : null,
      });
    }
    if (Number.isFinite(maxLeftTiles)) {
      let leftTiles = tiles.filter((t) => t.presence === "left").length;
      for (let i = 0; i < tiles.length && leftTiles > maxLeftTiles;)
        if (tiles[i]!.presence === "left") {
          tiles.splice(i, 1);
          leftTiles--;
        } else i++;
    }
    if (presentCount)
      for (const e of EMOTIONS) {
        shares[e] /= presentCount;
        sum[e] /= presentCount;
      }
    return {
      sessionId: this.sessionId,
      at: now,
      tMs: this.startedAt ? Math.max(0, now - this.startedAt) : 0,
      listenerCount,
      presentCount,
      shares,
      average: presentCount ? sum : null,
      tiles,
    };
  }
}
