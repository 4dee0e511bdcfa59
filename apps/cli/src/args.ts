import { AppError } from "@emotion/protocol";
import type { z } from "zod";

export interface FlagSpec {
  type: "string" | "boolean";
  /** Placeholder shown in help, e.g. "N" for `--fps N`. */
  value?: string;
  description: string;
}

export interface PositionalSpec {
  /** Key in the parsed options. */
  name: string;
  /** How help shows it, e.g. "<image|video>". */
  label: string;
  description: string;
}

export interface CommandDef<S extends z.ZodType> {
  name: string;
  summary: string;
  positionals: PositionalSpec[];
  /** Keys are camelCase option names; on the command line they are --kebab-case. */
  flags: Record<string, FlagSpec>;
  schema: S;
  examples?: string[];
  run(options: z.infer<S>): Promise<number | void>;
}

export interface Command {
  name: string;
  summary: string;
  /** Runs the command on its own arguments and returns the exit code. */
  main(argv: string[]): Promise<number>;
}

/** The error type for a bad command line: exit code 2. */
export function usageError(message: string): AppError {
  return new AppError("BAD_REQUEST", message);
}

const toKebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const toCamel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Splits argv into flag values and positionals by the spec; rejects unknown, repeated and value-less flags. */
export function parseArgv(argv: string[], flags: Record<string, FlagSpec>, command: string) {
  const values: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--") || arg === "-") {
      if (arg.startsWith("-") && arg !== "-") throw usageError(`unknown flag ${arg}; see \`emotion ${command} --help\``);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    const key = toCamel(name);
    const spec = flags[key];
    if (!spec || toKebab(key) !== name) throw usageError(`unknown flag --${name}; see \`emotion ${command} --help\``);
    if (key in values) throw usageError(`--${name} is given more than once`);
    if (spec.type === "boolean") {
      if (eq > 0) throw usageError(`--${name} takes no value`);
      values[key] = true;
    } else if (eq > 0) {
      values[key] = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("--") && next.length > 2)) throw usageError(`--${name} needs a value${spec.value ? ` (${spec.value})` : ""}`);
      values[key] = next;
      i++;
    }
  }
  return { values, positionals };
}

/** Help text of a command, from its spec. */
export function formatHelp(def: CommandDef<z.ZodType>): string {
  const usage = [`emotion ${def.name}`, ...def.positionals.map((p) => p.label), "[options]"].join(" ");
  const rows: Array<[string, string]> = [
    ...def.positionals.map((p): [string, string] => [p.label, p.description]),
    ...Object.entries(def.flags).map(([key, f]): [string, string] => [`--${toKebab(key)}${f.value ? ` ${f.value}` : ""}`, f.description]),
    ["-h, --help", "show this help"],
  ];
  const width = Math.max(...rows.map(([l]) => l.length));
  const lines = [`${def.summary}`, "", `usage: ${usage}`, "", ...rows.map(([l, d]) => `  ${l.padEnd(width)}  ${d}`)];
  if (def.examples?.length) lines.push("", "examples:", ...def.examples.map((e) => `  ${e}`));
  return lines.join("\n") + "\n";
}

/** Names the flag or argument of each zod issue: "--fps: must be > 0". */
function describeIssues(def: CommandDef<z.ZodType>, error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const key = String(issue.path[0] ?? "");
      const positional = def.positionals.find((p) => p.name === key);
      const where = positional ? positional.label : key in def.flags ? `--${toKebab(key)}` : key || "arguments";
      return `${where}: ${issue.message}`;
    })
    .join("; ");
}

/** Wraps a spec into a Command: --help, parsing, zod validation, then run. */
export function defineCommand<S extends z.ZodType>(def: CommandDef<S>): Command {
  return {
    name: def.name,
    summary: def.summary,
    async main(argv) {
      if (argv.includes("--help") || argv.includes("-h")) {
        process.stdout.write(formatHelp(def as unknown as CommandDef<z.ZodType>));
        return 0;
      }
      const { values, positionals } = parseArgv(argv, def.flags, def.name);
      if (positionals.length > def.positionals.length)
        throw usageError(`unexpected argument '${positionals[def.positionals.length]}'; see \`emotion ${def.name} --help\``);
      const raw: Record<string, unknown> = { ...values };
      def.positionals.forEach((p, i) => (raw[p.name] = positionals[i]));
      const parsed = def.schema.safeParse(raw);
      if (!parsed.success) throw usageError(describeIssues(def as unknown as CommandDef<z.ZodType>, parsed.error));
      return (await def.run(parsed.data)) ?? 0;
    },
  };
}
