import type { Server, Socket } from "socket.io";
import type { ClientToServerEvents, ReadingAck, ServerToClientEvents } from "@emotion/protocol";

export interface SocketData {
  listener?: { sessionId: string; participantId: string };
  speakerOf?: string;
  /** Token bucket for crops (per socket). */
  bucket?: { tokens: number; at: number };
  /** The last few acks by crop identity, so a re-sent crop that is already stored is answered at once. */
  recentAcks?: Map<string, ReadingAck>;
}

// Nothing is sent between instances except through the adapter's broadcasts.
export type InterServerEvents = Record<string, never>;

export type AppServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export const speakersRoom = (sessionId: string) => `session:${sessionId}:speakers`;
export const listenersRoom = (sessionId: string) => `session:${sessionId}:listeners`;
/** Speakers who asked for every reading (speaker:join with `readings: true`). */
export const readingsRoom = (sessionId: string) => `session:${sessionId}:readings`;
