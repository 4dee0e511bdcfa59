import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { AppError } from "@emotion/protocol";
import type { Env } from "../env";

type LimitVariable = "MAX_SESSIONS_PER_MINUTE" | "MAX_PREDICTS_PER_MINUTE" | "MAX_UPLOADS_PER_MINUTE";

const WINDOW_MS = 60_000;

/**
 * A route's @fastify/rate-limit config: `max` requests per client address and minute, then 429
 * RATE_LIMITED naming what was limited (and its variable when there is one), with Retry-After.
 */
export function perMinuteLimit(max: number, what: string, variable?: string) {
  return {
    max,
    timeWindow: WINDOW_MS,
    errorResponseBuilder: (_request: FastifyRequest, context: { ttl: number }) =>
      new AppError(
        "RATE_LIMITED",
        `too many ${what} from this address: the limit is ${max} per minute${variable ? ` (${variable})` : ""}; retry in ${Math.ceil(context.ttl / 1000)} s`,
      ),
  };
}

/**
 * The rate-limited REST routes, per client IP and minute, in one table: the routes stay free of limit
 * code, and the upload routes (their own folder) get theirs from here. Join-code lookups are limited
 * by failures instead (sessions/join-throttle.ts), so a venue behind one NAT can always join.
 */
export const REST_LIMITS: ReadonlyArray<{ method: string; url: string; variable: LimitVariable; what: string }> = [
  { method: "POST", url: "/api/sessions", variable: "MAX_SESSIONS_PER_MINUTE", what: "sessions created" },
  { method: "POST", url: "/api/v1/predict", variable: "MAX_PREDICTS_PER_MINUTE", what: "image predictions" },
  { method: "POST", url: "/api/sessions/:id/uploads", variable: "MAX_UPLOADS_PER_MINUTE", what: "uploads" },
];

/**
 * Registers @fastify/rate-limit for the routes of REST_LIMITS; call before the routes are registered.
 * Beyond a limit: 429 RATE_LIMITED naming the limit and its variable, with Retry-After. A table entry
 * that matches no route fails app.ready(), so a renamed route cannot silently lose its limit.
 */
export async function installRateLimits(app: FastifyInstance, config: Pick<Env, LimitVariable>): Promise<void> {
  const limited = new Set<string>();
  app.addHook("onRoute", (route) => {
    const methods = [route.method].flat();
    const limit = REST_LIMITS.find((l) => l.url === route.url && methods.includes(l.method as (typeof methods)[number]));
    if (!limit) return;
    limited.add(`${limit.method} ${limit.url}`);
    const max = config[limit.variable];
    route.config = {
      ...route.config,
      rateLimit: perMinuteLimit(max, limit.what, limit.variable),
    };
  });
  app.addHook("onReady", async () => {
    const missing = REST_LIMITS.filter((l) => !limited.has(`${l.method} ${l.url}`));
    if (missing.length) throw new Error(`rate limits for routes that do not exist: ${missing.map((l) => `${l.method} ${l.url}`).join(", ")}`);
  });
  // Our onRoute hook runs first (it was added first), so the plugin sees each route's rateLimit config.
  await app.register(rateLimit, { global: false });
}
