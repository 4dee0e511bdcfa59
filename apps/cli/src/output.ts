import { isAbsolute, resolve } from "node:path";
import cliProgress from "cli-progress";
import { env } from "./env";

/** Writes the one JSON object of a --json run as the last line of stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + "\n");
}

/** Resolves a user's path against the directory `pnpm emotion` was started in. */
export function resolveUserPath(path: string): string {
  return isAbsolute(path) ? path : resolve(env.INIT_CWD ?? process.cwd(), path);
}

export interface Progress {
  update(value: number, payload?: Record<string, string | number>): void;
  setTotal(total: number): void;
  stop(): void;
}

/** A progress bar on stderr, shown only when stderr is a terminal (stdout stays clean for --json). */
export function startProgress(label: string, total: number, unit = ""): Progress {
  if (!process.stderr.isTTY) return { update() {}, setTotal() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} {bar} {percentage}% | {value}/{total}${unit} | {detail}`,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(1, total), 0, { detail: "" });
  return {
    update: (value, payload) => bar.update(value, { detail: "", ...payload }),
    setTotal: (t) => bar.setTotal(Math.max(1, t)),
    stop: () => bar.stop(),
  };
}

/** Left-aligned text table with a header row. */
export function formatTable(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? "").length)));
  const isNumeric = (v: string) => /^-?[\d.,]+%?$/.test(v);
  const line = (r: string[]) =>
    r
      .map((v, c) => (c > 0 && isNumeric(v) ? v.padStart(widths[c]!) : v.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd();
  return [line(cells[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n") + "\n";
}
