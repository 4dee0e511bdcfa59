import { parentPort, workerData } from "node:worker_threads";
import { CROP_SIDE, EMOTIONS } from "@emotion/protocol";
import type { EmotionResult, Vision } from "@emotion/vision";
import { loadVision } from "@emotion/vision/node";
import type { WorkerInit, WorkerReply, WorkerRequest } from "./inference-pool";

// One classifier per worker thread: onnxruntime-node runs a session synchronously on the calling
// thread, so here it blocks this thread instead of the server's event loop.
const port = parentPort!;
const { threads } = workerData as WorkerInit;
const cropBytes = CROP_SIDE * CROP_SIDE;
// ONNX Runtime spends less CPU per crop on runs of up to ~32 crops than on 64 or more (the activations
// of a larger run stop fitting the caches): measured 200-210 µs per crop at 8-32, 230-260 at 64-128.
const RUN_MAX = 32;
const send = (reply: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);

async function classifyInRuns(vision: Vision, crops: Uint8Array[]): Promise<EmotionResult[]> {
  if (crops.length <= RUN_MAX) return vision.classify(crops);
  const results: EmotionResult[] = [];
  for (let k = 0; k < crops.length; k += RUN_MAX) results.push(...(await vision.classify(crops.slice(k, k + RUN_MAX))));
  return results;
}

function serve(vision: Vision) {
  port.on("message", ({ id, pixels }: WorkerRequest) => {
    const n = pixels.length / cropBytes;
    const crops = Array.from({ length: n }, (_, k) => pixels.subarray(k * cropBytes, (k + 1) * cropBytes));
    classifyInRuns(vision, crops).then(
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
