import { AppError } from "@emotion/protocol";
import type { Command } from "./args";
import { analyze } from "./commands/analyze";
import { bench } from "./commands/bench";
import { data } from "./commands/data";
import { evalCommand } from "./commands/eval";
import { models } from "./commands/models";
import { predict } from "./commands/predict";
import { train } from "./commands/train";

const COMMANDS: Command[] = [predict, analyze, evalCommand, bench, train, data, models];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return (
    [
      "usage: emotion <command> [options]",
      "",
      "commands:",
      ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
      "",
      "Run `emotion <command> --help` for a command's options.",
    ].join("\n") + "\n"
  );
}

/** Exit code 2 for a bad command line, 1 for any other failure. */
function exitCodeOf(error: unknown): number {
  return error instanceof AppError && error.code === "BAD_REQUEST" ? 2 : 1;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name ? process.stdout : process.stderr).write(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`error: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.main(rest);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`error: ${message}\n`);
    if (!(error instanceof AppError)) process.stderr.write(`${(error as Error)?.stack ?? ""}\n`);
    // --json callers parse the last stdout line: give them the error in the project's ErrorBody shape.
    if (rest.includes("--json")) {
      const body = error instanceof AppError ? error.toBody() : { error: { code: "INTERNAL", message } };
      process.stdout.write(JSON.stringify(body) + "\n");
    }
    return exitCodeOf(error);
  }
}

process.exitCode = await main(process.argv.slice(2));
