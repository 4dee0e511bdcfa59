import { spawnSync } from "node:child_process";
import { env } from "./env";

// find_spec looks torch up without importing it (an import takes seconds).
const FIND_TORCH = "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('torch') else 1)";

/** The Python that runs the trainer: $PYTHON, else the first of python3 and /usr/bin/python3 that imports torch. */
export function findPython(): string {
  if (env.PYTHON) return env.PYTHON;
  for (const candidate of ["python3", "/usr/bin/python3"]) {
    if (spawnSync(candidate, ["-c", FIND_TORCH], { stdio: "ignore" }).status === 0) return candidate;
  }
  return "python3";
}
