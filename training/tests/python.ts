import { spawn, spawnSync } from "node:child_process";

// find_spec looks torch up without importing it (an import takes seconds).
const FIND_TORCH = "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('torch') else 1)";

/** The first Python 3 that can import torch: $PYTHON, then python3 on PATH, then Debian's /usr/bin/python3. */
export function findPython(): string {
  const candidates = [process.env.PYTHON, "python3", "/usr/bin/python3"].filter((c): c is string => Boolean(c));
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ["-c", FIND_TORCH], { stdio: "ignore" });
    if (probe.status === 0) return candidate;
  }
  throw new Error(`no Python with torch found (tried ${candidates.join(", ")}); install python3-torch or set PYTHON`);
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and collects its output (never rejects on a non-zero exit). */
export function run(command: string, args: string[], cwd: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
