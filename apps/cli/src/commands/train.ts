import { spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { AppError } from "@emotion/protocol";
import type { Command } from "../args";
import { findPython } from "../python";

const TRAINING_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../../../training");

/** `emotion train [...]`: runs `python3 -m fer_trainer.train` in training/, arguments passed through (try --help). */
export const train: Command = {
  name: "train",
  summary: "Train the mini-Xception model (python3 -m fer_trainer.train; all arguments pass through, see --help).",
  async main(argv) {
    const python = findPython();
    // Relative paths in the arguments (--csv, --teacher, --out...) mean what they mean where the user
    // typed the command: pnpm runs scripts from the repository root but keeps that folder in INIT_CWD.
    const env = { ...process.env, PYTHONPATH: [TRAINING_DIR, process.env.PYTHONPATH].filter(Boolean).join(":") };
    const child = spawn(python, ["-m", "fer_trainer.train", ...argv], { cwd: process.env.INIT_CWD ?? process.cwd(), env, stdio: "inherit" });
    // Ctrl-C reaches the child through the terminal's process group; wait for it to finish its checkpoint.
    const onSignal = () => {};
    process.on("SIGINT", onSignal);
    try {
      return await new Promise<number>((resolvePromise, reject) => {
        child.on("error", (e) => reject(new AppError("INTERNAL", `cannot run ${python}: ${e.message} (set PYTHON to a Python 3 with torch)`)));
        child.on("close", (code, signal) => resolvePromise(code ?? (signal ? 130 : 1)));
      });
    } finally {
      process.off("SIGINT", onSignal);
    }
  },
};
