import { z } from "zod";

/** A bad command line: main prints the message and exits with code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

const count = (flag: string, max: number) =>
  z.coerce
    .number({ error: `${flag} must be a number` })
    .refine(Number.isInteger, `${flag} must be a whole number`)
    .refine((n) => n >= 1 && n <= max, `${flag} must be between 1 and ${max}`);
const positive = (flag: string, max: number) =>
  z.coerce
    .number({ error: `${flag} must be a number` })
    .refine(Number.isFinite, `${flag} must be a number`)
    .refine((n) => n > 0 && n <= max, `${flag} must be above 0 and at most ${max}`);

export const LoadOptions = z
  .object({
    listeners: count("--listeners", 5000).default(50),
    fps: positive("--fps", 30).default(4),
    seconds: positive("--seconds", 3600).default(10),
    /** Running servers (comma-separated: several instances, or one balancer); without it the load test starts its own. */
    url: z
      .string()
      .transform((v) =>
        v
          .split(",")
          .map((u) => u.trim().replace(/\/+$/, ""))
          .filter(Boolean),
      )
      .pipe(
        z
          .array(z.url({ protocol: /^https?$/, error: "--url must be http(s) URLs separated by commas, e.g. http://localhost:3000,http://localhost:3001" }))
          .min(1, "--url must name at least one server")
          .max(16, "--url takes at most 16 servers"),
      )
      .optional(),
    /** Server instances to start (cluster mode: they share DATABASE_URL's Postgres and a Redis of their own). */
    instances: count("--instances", 8).default(1),
    /** Do not ask for every reading (session:readings): only the once-a-second room mood the dashboard draws is measured. */
    moodOnly: z.boolean().default(false),
    /** Another checkout of apps/server to start (e.g. a git worktree of the previous commit, for before/after runs). */
    serverDir: z.string().min(1, "--server-dir must not be empty").optional(),
    /** An existing session (with --code and --token) instead of a new one. */
    session: z.string().min(1, "--session must not be empty").optional(),
    code: z.string().min(4, "--code must be a join code (4+ characters)").optional(),
    token: z.string().min(1, "--token must not be empty").optional(),
    /** Listeners joining at once during the ramp-up. */
    joinConcurrency: count("--join-concurrency", 500).default(20),
    /** Per-reading ack timeout; a reading not acked by then counts as timed out. */
    ackTimeoutMs: count("--ack-timeout-ms", 600_000).default(30_000),
    /** Leading seconds left out of the latency percentiles (their readings still count as sent and stored). */
    warmup: z.coerce
      .number({ error: "--warmup must be a number" })
      .refine((n) => Number.isFinite(n) && n >= 0, "--warmup must be 0 or more seconds")
      .default(0),
    /** Each listener starts sending as soon as it has joined (default: everyone joins first, then all send for --seconds). */
    startOnJoin: z.boolean().default(false),
    json: z.boolean().default(false),
    help: z.boolean().default(false),
  })
  .superRefine((o, ctx) => {
    const given = [o.session, o.code, o.token].filter((v) => v !== undefined).length;
    if (given > 0 && given < 3)
      ctx.addIssue({ code: "custom", path: ["session"], message: "--session, --code and --token go together (the speaker token reads the stored counts)" });
    if (given === 3 && !o.url)
      ctx.addIssue({ code: "custom", path: ["url"], message: "--session needs --url: a server started by the load test has an empty database" });
    if (o.warmup >= o.seconds) ctx.addIssue({ code: "custom", path: ["warmup"], message: "--warmup must be shorter than --seconds" });
    if (o.url && o.serverDir)
      ctx.addIssue({ code: "custom", path: ["serverDir"], message: "--server-dir and --url exclude each other: --url uses a running server" });
    if (o.url && o.instances > 1)
      ctx.addIssue({ code: "custom", path: ["instances"], message: "--instances and --url exclude each other: --url names running servers" });
  });
export type LoadOptions = z.infer<typeof LoadOptions>;

const BOOLEAN_FLAGS = new Set(["json", "help", "startOnJoin", "moodOnly"]);
const KNOWN_FLAGS = new Set(Object.keys(LoadOptions.shape ?? {}));

const toCamel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export const USAGE = `Usage: pnpm loadtest [--listeners N] [--fps F] [--seconds S] [--url U] [--json]

Simulates N listeners sending real face crops at F crops/s each for S seconds, plus one speaker
dashboard socket, and reports readings sent / acked / stored / lost, ack latency, capture-to-dashboard
latency (the once-a-second room mood the dashboard draws, and every reading pushed), the servers' peak
RSS and CPU per 1,000 crops. Exits 1 when a reading is lost, 2 on a bad command line.

  --listeners N          simulated listeners (default 50)
  --fps F                crops per second per listener (default 4)
  --seconds S            how long the load runs (default 10)
  --url U[,U2...]        running servers: several instances (listeners are spread over them, the speaker is on
                         the first) or one load balancer; default: start the server with a temp DATA_DIR
  --instances N          start N instances in cluster mode (needs DATABASE_URL; starts a redis-server unless
                         REDIS_URL is set); listeners are spread over them, the speaker is on the first
  --mood-only            measure only the room mood the dashboard draws (session:mood), not every reading
  --server-dir DIR       start the server from another checkout of apps/server (before/after comparisons)
  --session ID --code C --token T
                         use an existing session (needs --url) instead of POST /api/sessions
  --join-concurrency N   listeners joining at once during the ramp-up (default 20)
  --ack-timeout-ms MS    a crop not acked by then counts as timed out (default 30000)
  --start-on-join        each listener starts sending as soon as it has joined, as a browser does, so the
                         joins overlap the load (default: all join first, then all send for --seconds)
  --warmup S             leave the first S seconds of sending out of the latency percentiles (default 0;
                         their readings still count as sent, stored and lost)
  --json                 print the result as JSON on the last stdout line
  --help                 this text`;

/** Parses `--flag value`, `--flag=value` and boolean flags, then validates them; throws UsageError naming the flag. */
export function parseArgs(argv: readonly string[]): LoadOptions {
  const raw: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") continue; // pnpm passes a separator through on some versions
    if (!arg.startsWith("--")) throw new UsageError(`unexpected argument "${arg}"; flags look like --listeners 500`);
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    const key = toCamel(name);
    if (!KNOWN_FLAGS.has(key)) throw new UsageError(`unknown flag --${name}; see --help`);
    if (key in raw) throw new UsageError(`--${name} is given more than once`);
    if (BOOLEAN_FLAGS.has(key)) {
      if (eq > 0) throw new UsageError(`--${name} takes no value`);
      raw[key] = true;
    } else if (eq > 0) raw[key] = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) throw new UsageError(`--${name} needs a value`);
      raw[key] = next;
      i++;
    }
  }
  const result = LoadOptions.safeParse(raw);
  if (!result.success) throw new UsageError(result.error.issues.map((i) => i.message).join("; "));
  return result.data;
}
