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
    /** A running server; without it the load test starts one in a child process. */
    url: z
      .url({ protocol: /^https?$/, error: "--url must be an http(s) URL, e.g. http://localhost:3000" })
      .transform((u) => u.replace(/\/+$/, ""))
      .optional(),
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
  });
export type LoadOptions = z.infer<typeof LoadOptions>;

const BOOLEAN_FLAGS = new Set(["json", "help", "startOnJoin"]);
const KNOWN_FLAGS = new Set(Object.keys(LoadOptions.shape ?? {}));

const toCamel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export const USAGE = `Usage: pnpm loadtest [--listeners N] [--fps F] [--seconds S] [--url U] [--json]

Simulates N listeners sending real face crops at F crops/s each for S seconds, plus one speaker
dashboard socket, and reports readings sent / acked / stored / lost, ack and crop-to-dashboard latency
(p50/p95/p99) and the server's peak RSS. Exits 1 when a reading is lost, 2 on a bad command line.

  --listeners N          simulated listeners (default 50)
  --fps F                crops per second per listener (default 4)
  --seconds S            how long the load runs (default 10)
  --url U                a running server; default: start one (tsx apps/server/src/index.ts) with a temp DATA_DIR
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
