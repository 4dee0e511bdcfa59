import type { ClientToServerEvents, ErrorBody, ServerToClientEvents } from "@emotion/protocol";
import { io, type Socket } from "socket.io-client";
import { ApiError } from "./api";

export type AppSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * A typed Socket.IO connection to the same origin (vite proxies /socket.io in dev). socket.io
 * reconnects by itself after a network drop, but not after the server closed the connection (a
 * restart or deploy does that): then we reconnect ourselves, after a jittered pause.
 */
export function connectSocket(): AppSocket {
  const socket: AppSocket = io({ transports: ["websocket", "polling"], reconnectionDelayMax: 4000 });
  socket.on("disconnect", (reason) => {
    if (reason !== "io server disconnect") return;
    window.setTimeout(
      () => {
        if (!closed.has(socket)) socket.connect();
      },
      1000 + Math.random() * 2000,
    );
  });
  return socket;
}

const closed = new WeakSet<AppSocket>();

/** Disconnects for good: no handlers left and no reconnect. */
export function closeSocket(socket: AppSocket): void {
  closed.add(socket);
  socket.removeAllListeners();
  socket.disconnect();
}

type AckResponse = { ok: true; data: unknown } | ({ ok: false } & ErrorBody);

/** Unwraps an ack: returns data or throws ApiError with the server's code. */
export function unwrapAck<R extends AckResponse>(response: R): Extract<R, { ok: true }>["data"] {
  if (response.ok) return response.data as Extract<R, { ok: true }>["data"];
  const { error } = response as { ok: false } & ErrorBody;
  throw new ApiError(error.code, error.message);
}

export const ACK_TIMEOUT_MS = 8000;
