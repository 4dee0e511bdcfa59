import { parentPort, workerData } from "node:worker_threads";
import { CROP_SIDE, EMOTIONS } from "@emotion/protocol";
import type { Classifier } from "@emotion/vision";
import { loadClassifier } from "@emotion/vision/node";
import { classifyInRuns, type ModelSpec, type WorkerInit, type WorkerMessage, type WorkerReply } from "./inference-pool";

// One classifier per worker thread: onnxruntime-node runs a session synchronously on the calling
// thread, so here it blocks this thread instead of the server's event loop. Workers only classify
// (the detector stays with the main thread), so they load the emotion model alone.
const port = parentPort!;
const init = workerData as WorkerInit;
const cropBytes = CROP_SIDE * CROP_SIDE;
const send = (reply: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

const load = (model: ModelSpec) =>
  loadClassifier({ model: model.bytes ?? model.path ?? undefined, card: model.card, threads: init.threads, executionProviders: init.providers });

let current: { classifier: Classifier; version: number } | null = null;
/** Sessions being released (a swapped-out model): closing waits for them, so no native call is cut short. */
let releasing: Promise<unknown> = Promise.resolve();

port.on("message", (m: WorkerMessage) => {
  if (m.type === "close") {
    // Ending the thread while ONNX Runtime is inside a call (a release, a run) can take the process down:
    // finish what is running, release the sessions, then leave.
    void releasing
      .then(() => current?.classifier.release())
      .catch(() => {})
      .finally(() => process.exit(0));
    return;
  }
  if (m.type === "swap") {
    // The new model is loaded before it takes over: batches keep running on the old one meanwhile.
    load(m.model).then(
      (classifier) => {
        const old = current;
        current = { classifier, version: m.model.version };
        send({ type: "swapped", version: m.model.version, provider: classifier.provider, providerError: classifier.providerError });
        releasing = Promise.all([releasing, old?.classifier.release().catch(() => {})]);
      },
      (error: unknown) => send({ type: "swap-failed", version: m.model.version, message: errorText(error) }),
    );
    return;
  }
  const { id, pixels } = m;
  const model = current!;
  const n = pixels.length / cropBytes;
  const crops = Array.from({ length: n }, (_, k) => pixels.subarray(k * cropBytes, (k + 1) * cropBytes));
  classifyInRuns((run) => model.classifier.classify(run), crops).then(
    (results) => {
      // Probabilities in EMOTIONS order, 7 per crop: one transferable buffer instead of n cloned objects.
      const probs = new Float32Array(n * EMOTIONS.length);
      results.forEach((r, k) => EMOTIONS.forEach((e, i) => (probs[k * EMOTIONS.length + i] = r.probabilities[e])));
      send({ type: "result", id, probs, version: model.version }, [probs.buffer as ArrayBuffer]);
    },
    (error: unknown) => send({ type: "error", id, message: errorText(error) }),
  );
});

load(init.model).then(
  (classifier) => {
    current = { classifier, version: init.model.version };
    send({ type: "ready", card: classifier.card, version: init.model.version, provider: classifier.provider, providerError: classifier.providerError });
  },
  (error: unknown) => send({ type: "failed", message: errorText(error) }),
);
