import { spawn } from "node:child_process";
import { AppError } from "@emotion/protocol";
import type { Command } from "../args";
import { findPython } from "../python";
import { TRAINING_DIR, trainFeedback } from "./train-feedback";

/**
 * `emotion train [...]`: runs `python3 -m fer_trainer.train` in training/, arguments passed through (try --help).
 * `emotion train --feedback [...]`: fine-tunes the active version on the feedback samples and registers a candidate.
 */
export const train: Command = {
  name: "train",
  summary: "Train the model (python3 -m fer_trainer.train, arguments pass through); --feedback: fine-tune the active version on the feedback samples.",
  async main(argv) {
    if (argv.includes("--feedback")) return trainFeedback.main(argv.filter((a) => a !== "--feedback"));
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
