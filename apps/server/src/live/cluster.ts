import { hostname } from "node:os";
import { createAdapter } from "@socket.io/redis-streams-adapter";
import type { FastifyBaseLogger } from "fastify";
import { createClient } from "redis";
import type { AppServer, InterServerEvents } from "./types";

/**
 * How the instances of one deployment talk to each other. In cluster mode (REDIS_URL) Socket.IO's Redis
 * streams adapter carries every room broadcast to the sockets of every instance, and the same stream
 * carries the instance-to-instance messages below (io.serverSideEmit). In one-process mode there is no
 * one to tell: publish does nothing.
 */
export interface Cluster {
  readonly instanceId: string;
  readonly isClustered: boolean;
  /** Sends to every other instance; never throws (a Redis outage costs remote views, not local work). */
  publish<E extends keyof InterServerEvents>(event: E, ...payload: Parameters<InterServerEvents[E]>): void;
  /** Handles what other instances publish. */
  subscribe<E extends keyof InterServerEvents>(event: E, handler: InterServerEvents[E]): void;
  close(): Promise<void>;
}

export interface ClusterOptions {
  io: AppServer;
  redisUrl?: string;
  instanceId?: string;
  log: FastifyBaseLogger;
  /** Longest the first connection to Redis may take before start-up fails (default 15 s). */
  connectTimeoutMs?: number;
}

/** The stream all instances of a deployment share; entries beyond MAX_LEN are trimmed (an instance that far behind has lost them). */
const STREAM_NAME = "emotion:socket.io";
const STREAM_MAX_LEN = 20_000;

export const defaultInstanceId = () => `${hostname()}-${process.pid}`;

/** Joins the deployment's cluster when `redisUrl` is set (the adapter is installed on `io`); a lone instance otherwise. */
export async function joinCluster(options: ClusterOptions): Promise<Cluster> {
  const instanceId = options.instanceId ?? defaultInstanceId();
  const { io, log } = options;
  if (!options.redisUrl) {
    return {
      instanceId,
      isClustered: false,
      publish: () => {},
      subscribe: () => {},
      close: async () => {},
    };
  }
  const client = await connectRedis(options.redisUrl, log, options.connectTimeoutMs ?? 15_000);
  io.adapter(createAdapter(client, { streamName: STREAM_NAME, maxLen: STREAM_MAX_LEN }));
  log.info({ instanceId }, "cluster mode: Socket.IO events and room state shared through Redis");
  return {
    instanceId,
    isClustered: true,
    publish: (event, ...payload) => {
      try {
        io.serverSideEmit(event, ...payload);
      } catch (err) {
        log.warn({ err, event }, "could not tell the other instances");
      }
    },
    subscribe: (event, handler) => {
      // Socket.IO hands server-side events to io.on listeners; the types of its reserved events hide them.
      (io.on as (event: string, handler: (...args: unknown[]) => void) => void)(event, (...args) => {
        try {
          (handler as (...a: unknown[]) => void)(...args);
        } catch (err) {
          log.error({ err, event }, "a message from another instance could not be handled");
        }
      });
    },
    close: async () => {
      await client.quit().catch(() => client.destroy());
    },
  };
}

/** A connected client that reconnects on its own; the first connection must come within `timeoutMs`. */
async function connectRedis(url: string, log: FastifyBaseLogger, timeoutMs: number) {
  const shown = url.replace(/\/\/[^/@\s]*@/, "//***@");
  const client = createClient({
    url,
    socket: { reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000), connectTimeout: Math.min(timeoutMs, 5000) },
  });
  let lastError = "";
  client.on("error", (err: Error) => {
    // node-redis emits every failed reconnect; log each distinct reason once rather than a line per retry.
    if (err.message !== lastError) log.error({ err, redis: shown }, "Redis connection error; retrying");
    lastError = err.message;
  });
  client.on("ready", () => {
    if (lastError) log.info({ redis: shown }, "Redis connection restored");
    lastError = "";
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`REDIS_URL: could not reach Redis at ${shown} within ${timeoutMs} ms (${lastError || "no answer"})`)), timeoutMs);
  });
  try {
    await Promise.race([client.connect(), timeout]);
  } catch (err) {
    client.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return client;
}
