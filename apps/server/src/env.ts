import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { z } from "zod";
import { DEFAULT_DATA_DIR, embeddedDbDir } from "@emotion/db";

export const REPO_DATA_DIR = DEFAULT_DATA_DIR;

const int = (min: number) => z.coerce.number().int().min(min);

const PROXY_ADDRESS = /^(loopback|linklocal|uniquelocal|[0-9a-fA-F]*[.:][0-9a-fA-F.:]*(\/\d{1,3})?)$/;
const isTrustProxy = (v: string) => /^(true|false|\d{1,2})$/.test(v) || v.split(",").every((a) => PROXY_ADDRESS.test(a.trim()));
const toTrustProxy = (v: string): boolean | number | string[] =>
  v === "true" ? true : v === "false" ? false : /^\d+$/.test(v) ? Number(v) : v.split(",").map((a) => a.trim());

export const Env = z
  .object({
    NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
    PORT: int(0).max(65535).default(3000),
    HOST: z.string().min(1).default("0.0.0.0"),
    /** postgres:// URL; when absent the server uses embedded PGlite under DATA_DIR. */
    DATABASE_URL: z
      .url({ protocol: /^postgres(ql)?$/, error: "expected a postgres:// or postgresql:// URL (leave it empty for the embedded database)" })
      .optional(),
    /** Embedded database (DATA_DIR/pglite) and upload scratch space (DATA_DIR/uploads); default: data/ at the repository root. */
    DATA_DIR: z.string().min(1).optional(),
    /** Where `pnpm start` was run from (pnpm sets it); relative paths resolve against it. */
    INIT_CWD: z.string().optional(),
    /** Base of the links handed out (join and dashboard); default: the request's own origin. */
    PUBLIC_URL: z.url({ protocol: /^https?$/, error: "expected an http:// or https:// URL such as https://talks.example.com" }).optional(),
    /**
     * redis:// URL: cluster mode. Socket.IO events reach sockets on every instance (Redis streams
     * adapter) and instances share room state; without it the server is one process on its own.
     */
    REDIS_URL: z
      .url({ protocol: /^rediss?$/, error: "expected a redis:// or rediss:// URL such as redis://redis:6379 (leave it empty for one instance)" })
      .optional(),
    /** This instance's name in logs and /health (default: host name and process id). */
    INSTANCE_ID: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, { error: "expected 1-64 letters, digits, '.', '_' or '-'" })
      .optional(),
    /** Bearer token of the admin API (model versions: GET /api/models, promote, rollback); unset = that API answers 403. */
    ADMIN_TOKEN: z.string().min(16, { error: "must be at least 16 characters (e.g. openssl rand -hex 24)" }).optional(),
    /** Built web app to serve (default apps/web/dist). */
    WEB_DIST: z.string().optional(),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    MAX_UPLOAD_BYTES: int(1024).default(10 * 1024 * 1024),
    MAX_IMAGE_PIXELS: int(1024).default(40_000_000),
    /** Largest uploaded recording (mp4, webm, mov). */
    MAX_VIDEO_BYTES: int(1024).default(500 * 1024 * 1024),
    /** Frames sampled per second of an uploaded recording. */
    UPLOAD_FPS: z.coerce.number().min(0.2).max(30).default(2),
    /** Recordings waiting for analysis (not counting those being analysed), all instances together; beyond it uploads get 429. */
    MAX_QUEUED_UPLOADS: int(1).max(10_000).default(20),
    /** Space for recordings waiting in the database (upload_chunks, all instances together); an upload that does not fit gets 507. */
    UPLOAD_DISK_QUOTA_BYTES: int(1024).default(10 * 1024 * 1024 * 1024),
    /** Recordings this instance analyses at once; 0: it only receives uploads and leaves the analysis to other instances. */
    UPLOAD_CONCURRENCY: int(0).max(8).default(1),
    /** Analyses of one recording started before an instance dying during it fails the upload ("interrupted"). */
    MAX_UPLOAD_ATTEMPTS: int(1).max(10).default(2),
    /** An instance renews the lease of its upload jobs every second; a lease this old means it died and another instance takes the job over. */
    UPLOAD_LEASE_MS: int(2000).max(600_000).default(15_000),
    /** ONNX Runtime execution providers in order of preference, e.g. "cuda,cpu" on a GPU host. */
    /** What tiles, the room mood and the self view show: the learned GRU filter (default), an EMA, or single readings. */
    TEMPORAL_FILTER: z.enum(["gru", "ema", "off"]).default("gru"),
    INFERENCE_PROVIDERS: z
      .string()
      .regex(/^\s*(cpu|cuda|tensorrt|dml|coreml|webgpu)\s*(,\s*(cpu|cuda|tensorrt|dml|coreml|webgpu)\s*)*$/, {
        error: "expected ONNX Runtime providers separated by commas, from cpu, cuda, tensorrt, dml, coreml, webgpu (e.g. cuda,cpu)",
      })
      .optional()
      .transform((v) =>
        v
          ?.split(",")
          .map((p) => p.trim())
          .filter(Boolean),
      ),
    READING_RATE_HZ: z.coerce.number().min(0.2).max(30).default(4),
    BATCH_MAX: int(1).max(1024).default(64),
    BATCH_WAIT_MS: int(0).max(1000).default(8),
    /** How often each instance checks which model version is active (hot swap after a promotion or rollback). */
    MODEL_POLL_MS: int(200).max(600_000).default(2000),
    /** ONNX Runtime intra-op threads; default leaves one core to the event loop. */
    INFERENCE_THREADS: int(1).default(Math.max(1, availableParallelism() - 1)),
    /** Longest an inference worker may take for one batch before the batch is classified on the main thread. */
    INFERENCE_JOB_TIMEOUT_MS: int(100).max(120_000).default(10_000),
    /** Group commit: readings are written at least this often, and acked to the listener only once stored. */
    COMMIT_INTERVAL_MS: int(5).max(2000).default(200),
    /** Readings accepted but not yet stored (e.g. during a database outage); beyond it crops get NOT_READY. */
    MAX_PENDING_READINGS: int(100).max(5_000_000).default(100_000),
    /** On SIGTERM/SIGINT: how long to keep trying to store what was accepted before exiting non-zero. */
    SHUTDOWN_TIMEOUT_MS: int(0).max(600_000).default(15_000),
    /** Listeners (live participants) one session admits. */
    MAX_LISTENERS_PER_SESSION: int(1).max(100_000).default(1000),
    /** Concurrent Socket.IO connections from one IP (a venue behind one NAT shares an IP: keep it generous). */
    MAX_SOCKETS_PER_IP: int(1).max(1_000_000).default(500),
    /** Failed join attempts (unknown code) one IP may make per minute before joins are refused for a while. */
    MAX_FAILED_JOINS_PER_MINUTE: int(1).max(100_000).default(20),
    /** REST requests per IP per minute, answered 429 RATE_LIMITED beyond: sessions created, images predicted, recordings uploaded. */
    MAX_SESSIONS_PER_MINUTE: int(1).max(1_000_000).default(60),
    MAX_PREDICTS_PER_MINUTE: int(1).max(1_000_000).default(600),
    MAX_UPLOADS_PER_MINUTE: int(1).max(1_000_000).default(20),
    /** Images the image API decodes and analyses at once (each may hold MAX_IMAGE_PIXELS × 3 bytes), and how many more may wait; beyond, 503. */
    MAX_CONCURRENT_DECODES: int(1).max(256).default(4),
    MAX_QUEUED_DECODES: int(0).max(10_000).default(32),
    /**
     * Which X-Forwarded-* headers to believe: false (default: the server is reached directly, so a
     * client cannot pick its own IP for the per-IP limits), true, a hop count, or proxy addresses/CIDRs.
     */
    TRUST_PROXY: z
      .string()
      .default("false")
      .refine(isTrustProxy, { error: "expected true, false, a hop count, or proxy addresses/CIDRs separated by commas" })
      .transform(toTrustProxy),
  })
  .transform(({ INIT_CWD, ...e }) => ({
    ...e,
    PUBLIC_URL: e.PUBLIC_URL?.replace(/\/+$/, ""),
    DATA_DIR: e.DATA_DIR ? resolve(INIT_CWD ?? process.cwd(), e.DATA_DIR) : REPO_DATA_DIR,
  }));
export type Env = z.infer<typeof Env>;

/**
 * Parses an environment; throws one readable line naming each bad variable. An empty value means
 * "not set" (`.env` files and compose files often leave `DATABASE_URL=`).
 */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const given = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v.trim() !== ""));
  const result = Env.safeParse(given);
  if (!result.success) throw new Error(`invalid environment: ${result.error.issues.map((i) => describeIssue(i, given)).join("; ")}`);
  return result.data;
}

/** "PORT: expected an integer 0..65535, got 'abc'": the variable, the form it needs, what it holds. */
function describeIssue(issue: z.core.$ZodIssue, given: Record<string, string | undefined>): string {
  const name = String(issue.path[0] ?? "environment");
  const field = (Env.in.shape as Record<string, z.ZodType | undefined>)[name];
  const expected = (field && expectedOf(field)) ?? issue.message;
  const value = given[name];
  return value === undefined ? `${name}: ${expected}` : `${name}: ${expected}, got '${shownValue(value)}'`;
}

/** The form a variable's schema accepts, read from the schema itself (so a new variable needs no message); null for free text. */
function expectedOf(schema: z.ZodType): string | null {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) return expectedOf(schema.unwrap() as z.ZodType);
  if (schema instanceof z.ZodPipe) return expectedOf(schema.in as z.ZodType);
  if (schema instanceof z.ZodEnum) return `expected one of ${schema.options.join(", ")}`;
  if (schema instanceof z.ZodNumber) {
    const kind = schema.isInt ? "an integer" : "a number";
    const min = schema.minValue ?? -Infinity;
    const max = schema.maxValue ?? Infinity;
    const unbounded = (n: number) => !Number.isFinite(n) || Math.abs(n) >= Number.MAX_SAFE_INTEGER;
    if (unbounded(min) && unbounded(max)) return `expected ${kind}`;
    if (unbounded(max)) return `expected ${kind} >= ${min}`;
    if (unbounded(min)) return `expected ${kind} <= ${max}`;
    return `expected ${kind} ${min}..${max}`;
  }
  return null;
}

/** A value as an error may show it: credentials in a URL are hidden, long values cut. */
function shownValue(value: string): string {
  const hidden = value.replace(/\/\/[^/@\s]*@/, "//***@");
  return hidden.length > 80 ? `${hidden.slice(0, 77)}...` : hidden;
}

/** The process environment, parsed once. */
export const env: Env = parseEnv(process.env);

/** Where the embedded database of DATA_DIR lives (the rule lives in @emotion/db, shared with the CLI). */
export { embeddedDbDir };
