import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { io as connect, type Socket } from "socket.io-client";
import type { ClientToServerEvents, CreatedSession, ServerToClientEvents } from "@emotion/protocol";
import { buildApp, type BuildAppOptions } from "../app";

export type Client = Socket<ServerToClientEvents, ClientToServerEvents>;
export type AckResponse<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

/** The whole app listening on a free port of 127.0.0.1, with the socket clients a test needs. */
export interface LiveApp {
  app: FastifyInstance;
  url: string;
  /** A connected Socket.IO client (websocket, no reconnection), closed with the app. */
  client(): Promise<Client>;
  /** Emits and waits for the ack. Untyped on purpose: tests also send payloads that break the protocol. */
  call<T>(c: Client, event: string, payload: unknown): Promise<AckResponse<T>>;
  /** Like call, but throws on an error ack. */
  ok<T>(c: Client, event: string, payload: unknown): Promise<T>;
  createSession(title?: string): Promise<CreatedSession>;
  /** Disconnects the clients and closes the app (not a database it was given). */
  close(): Promise<void>;
}

export async function startLiveApp(options: BuildAppOptions): Promise<LiveApp> {
  const app = await buildApp({ logger: false, ...options });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const clients: Client[] = [];
  const call = <T>(c: Client, event: string, payload: unknown): Promise<AckResponse<T>> => (c as unknown as Socket).timeout(30_000).emitWithAck(event, payload);
  return {
    app,
    url,
    async client() {
      const c: Client = connect(url, { transports: ["websocket"], forceNew: true, reconnection: false });
      clients.push(c);
      await new Promise<void>((resolve, reject) => c.once("connect", resolve).once("connect_error", reject));
      return c;
    },
    call,
    async ok<T>(c: Client, event: string, payload: unknown): Promise<T> {
      const res = await call<T>(c, event, payload);
      if (!res.ok) throw new Error(`${event}: ${res.error.code} ${res.error.message}`);
      return res.data;
    },
    async createSession(title = "Live test") {
      return (await app.inject({ method: "POST", url: "/api/sessions", payload: { title } })).json<CreatedSession>();
    },
    async close() {
      clients.forEach((c) => c.disconnect());
      await app.close();
    },
  };
}
