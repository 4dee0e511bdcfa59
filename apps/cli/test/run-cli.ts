import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const CLI_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `emotion <args>` as a child process through tsx, as `pnpm emotion` does. */
export function runCli(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  const env = { ...process.env, ...extraEnv };
  delete env.INIT_CWD; // paths in tests are absolute; an inherited pnpm INIT_CWD must not matter
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [require.resolve("tsx/cli"), join(CLI_DIR, "src/main.ts"), ...args], {
      cwd: CLI_DIR,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The JSON object on the last line of stdout. */
export function lastJson<T>(result: CliResult): T {
  const lines = result.stdout.trimEnd().split("\n");
  return JSON.parse(lines[lines.length - 1] ?? "") as T;
}

/** A face photo shipped by @vladmandic/face-api (sample1..sample6). */
export function samplePhoto(n: number): string {
  return require.resolve(`@vladmandic/face-api/demo/sample${n}.jpg`);
}
