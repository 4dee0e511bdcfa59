import type { Server, Socket } from "socket.io";
import type { ClientToServerEvents, ReadingAck, ServerToClientEvents, SessionStatus } from "@emotion/protocol";

export interface SocketData {
  listener?: { sessionId: string; participantId: string };
  speakerOf?: string;
  /** Token bucket for crops (per socket). */
  bucket?: { tokens: number; at: number };
  /** The last few acks by crop identity, so a re-sent crop that is already stored is answered at once. */
  recentAcks?: Map<string, ReadingAck>;
}

/** A listener as the instance holding its socket sees it: what another instance needs for its room mood. */
export interface ListenerSnapshot {
  id: string;
  name: string;
  joinedAt: number;
  state: "active" | "paused" | "camera_off";
  hasLeft: boolean;
  latest: {
    at: number;
    quality: string;
    dominant: string | null;
    probabilities: Record<string, number> | null;
    confidence: number | null;
    capturedAt?: number;
  } | null;
}

/** Messages between the instances of one deployment (cluster mode; see cluster.ts). */
export interface InterServerEvents {
  /** A session went live or ended: every instance updates its cached room (and so refuses crops of an ended one). */
  "room:status": (p: { sessionId: string; status: SessionStatus; startedAt: number | null }) => void;
  /** Once a second: the listeners connected to instance `from`, so a speaker anywhere sees the whole room. */
  "room:listeners": (p: { sessionId: string; from: string; at: number; listeners: ListenerSnapshot[] }) => void;
  /** A speaker on some instance asked for every reading of the session (speaker:join with readings). */
  "room:readers": (p: { sessionId: string }) => void;
}

export type AppServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export const speakersRoom = (sessionId: string) => `session:${sessionId}:speakers`;
export const listenersRoom = (sessionId: string) => `session:${sessionId}:listeners`;
/** Speakers who asked for every reading (speaker:join with `readings: true`). */
export const readingsRoom = (sessionId: string) => `session:${sessionId}:readings`;
