import type { ClientToServerEvents, ErrorBody, ServerToClientEvents } from "@emotion/protocol";
import { io, type Socket } from "socket.io-client";
import { ApiError } from "./api";

export type AppSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A typed Socket.IO connection to the same origin (vite proxies /socket.io in dev). */
export function connectSocket(): AppSocket {
  return io({ transports: ["websocket", "polling"], reconnectionDelayMax: 4000 });
}

type AckResponse = { ok: true; data: unknown } | ({ ok: false } & ErrorBody);

/** Unwraps an ack: returns data or throws ApiError with the server's code. */
export function unwrapAck<R extends AckResponse>(response: R): Extract<R, { ok: true }>["data"] {
  if (response.ok) return response.data as Extract<R, { ok: true }>["data"];
  const { error } = response as { ok: false } & ErrorBody;
  throw new ApiError(error.code, error.message);
}

export const ACK_TIMEOUT_MS = 8000;
