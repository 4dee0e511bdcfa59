import { parentPort, workerData } from "node:worker_threads";
import { CROP_SIDE, EMOTIONS } from "@emotion/protocol";
import type { Vision } from "@emotion/vision";
import { loadVision } from "@emotion/vision/node";
import { classifyInRuns, type WorkerInit, type WorkerReply, type WorkerRequest } from "./inference-pool";

// One classifier per worker thread: onnxruntime-node runs a session synchronously on the calling
// thread, so here it blocks this thread instead of the server's event loop.
const port = parentPort!;
const { threads } = workerData as WorkerInit;
const cropBytes = CROP_SIDE * CROP_SIDE;
const send = (reply: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);

function serve(vision: Vision) {
  port.on("message", ({ id, pixels }: WorkerRequest) => {
    const n = pixels.length / cropBytes;
    const crops = Array.from({ length: n }, (_, k) => pixels.subarray(k * cropBytes, (k + 1) * cropBytes));
    classifyInRuns((run) => vision.classify(run), crops).then(
      (results) => {
        // Probabilities in EMOTIONS order, 7 per crop: one transferable buffer instead of n cloned objects.
        const probs = new Float32Array(n * EMOTIONS.length);
        results.forEach((r, k) => EMOTIONS.forEach((e, i) => (probs[k * EMOTIONS.length + i] = r.probabilities[e])));
        send({ type: "result", id, probs }, [probs.buffer as ArrayBuffer]);
      },
      (error: unknown) => send({ type: "error", id, message: error instanceof Error ? error.message : String(error) }),
    );
  });
  send({ type: "ready", card: vision.card });
}

loadVision({ threads }).then(serve, (error: unknown) => send({ type: "failed", message: error instanceof Error ? error.message : String(error) }));
