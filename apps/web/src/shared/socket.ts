import type { ClientToServerEvents, ErrorBody, ServerToClientEvents } from "@emotion/protocol";
import { io, type Socket } from "socket.io-client";
import { ApiError } from "./api";

export type AppSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A typed Socket.IO connection to the same origin (vite proxies /socket.io in dev). */
export function connectSocket(): AppSocket {
  return io({ transports: ["websocket", "polling"], reconnectionDelayMax: 4000 });
}

type AckResponse<T> = { ok: true; data: T } | ({ ok: false } & ErrorBody);

/** Unwraps an ack: returns data or throws ApiError with the server's code. */
export function unwrapAck<T>(response: AckResponse<T>): T {
  if (response.ok) return response.data;
  throw new ApiError(response.error.code, response.error.message);
}

export const ACK_TIMEOUT_MS = 8000;
