import type { TemporalState } from "@emotion/vision/temporal";
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
}

export interface ListenerEntry {
  id: string;
  name: string;
  joinedAt: number;
  /** The socket holding this listener on this instance; null when not connected here. */
  socketId: string | null;
  state: "active" | "paused" | "camera_off";
  hasLeft: boolean;
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

const emptyProbabilities = (): Probabilities => Object.fromEntries(EMOTIONS.map((e) => [e, 0])) as Probabilities;

/**
 * One session's live state on this instance. It is a cache: everything in it can be rebuilt from the
 * database (participants, their latest readings, the session's status), which is what a fresh
 * instance does on first use (see LiveHub.room).
 */
export class RoomState {
  readonly listeners = new Map<string, ListenerEntry>();

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

  /** Listeners who have not left (the per-session cap counts these). */
  get presentListeners(): number {
    let n = 0;
    for (const l of this.listeners.values()) if (!l.hasLeft) n++;
    return n;
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
    for (const l of this.listeners.values()) {
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
