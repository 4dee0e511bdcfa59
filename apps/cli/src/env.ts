import { z } from "zod";

const Env = z.object({
  /** Where the user ran `pnpm emotion` (pnpm runs the script in apps/cli); relative paths resolve against it. */
  INIT_CWD: z.string().min(1).optional(),
  /** Default FER2013 CSV for `emotion eval`. */
  FER_CSV: z.string().min(1).optional(),
  /** Python 3 with torch for `emotion train` (default: the first of python3, /usr/bin/python3 that imports torch). */
  PYTHON: z.string().min(1).optional(),
  /** Postgres for `emotion analyze --session`; without it, the embedded database in DATA_DIR. */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// URL" }).optional(),
  /** Embedded database directory (default: data/ at the repository root, as the server). */
  DATA_DIR: z.string().min(1).optional(),
  /** Bearer token of the server's admin API, for `emotion models --server URL` (the server's ADMIN_TOKEN). */
  ADMIN_TOKEN: z.string().min(1).optional(),
  /** ffmpeg binary for video (default: @ffmpeg-installer/ffmpeg's, then the system's). */
  FFMPEG_PATH: z.string().min(1).optional(),
});

const parsed = Env.safeParse(process.env);
if (!parsed.success) {
  process.stderr.write(`error: bad environment: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}\n`);
  process.exit(2);
}

/** The CLI's environment, parsed once. */
export const env = parsed.data;
