// The real inference worker, which dies (exit code 1) when its first batch arrives: a worker lost
// mid-batch, for the pool's test. Registered before the real one's handler, so it runs first.
import process from "node:process";
import { parentPort } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
parentPort.once("message", () => process.exit(1));
await import("../live/inference.worker.ts");
