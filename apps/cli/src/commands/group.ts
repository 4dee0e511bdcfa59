import type { Command } from "../args";
import { usageError } from "../args";

/** A command made of subcommands named "<group> <sub>" (`emotion data list`): the first argument picks one; each has its own --help. */
export function defineGroup(name: string, summary: string, subcommands: Command[]): Command {
  const help = () => {
    const width = Math.max(...subcommands.map((c) => c.name.length));
    return (
      [
        `${summary}`,
        "",
        `usage: emotion ${name} <${subcommands.map((c) => c.name.slice(name.length + 1)).join("|")}> [options]`,
        "",
        ...subcommands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
        "",
        `Run \`emotion ${name} <subcommand> --help\` for its options.`,
      ].join("\n") + "\n"
    );
  };
  return {
    name,
    summary,
    async main(argv) {
      const [sub, ...rest] = argv;
      if (sub === undefined || sub === "--help" || sub === "-h") {
        process.stdout.write(help());
        return sub === undefined ? 2 : 0;
      }
      const command = subcommands.find((c) => c.name === `${name} ${sub}`);
      if (!command)
        throw usageError(`unknown subcommand '${name} ${sub}'; expected one of ${subcommands.map((c) => c.name.slice(name.length + 1)).join(", ")}`);
      return command.main(rest);
    },
  };
}
