import type { Db } from "@emotion/db";
import type { Classifier, ModelCard } from "@emotion/vision";
import type { FastifyBaseLogger } from "fastify";
import type { VisionHolder } from "../app";
import type { ModelSpec } from "./inference-pool";

export interface ModelWatcherOptions {
  db: Pick<Db, "activeModelVersion" | "getModel">;
  vision: VisionHolder;
  /** Loads a classifier for a version (the app's threads and execution providers). */
  load: (spec: ModelSpec) => Promise<Classifier>;
  /** Moves the inference workers to `vision.model` (LiveHub.swapModel). */
  swapWorkers: () => void;
  pollMs: number;
  log: FastifyBaseLogger;
}

export interface ModelWatcher {
  /** Checks the active version now and swaps to it when it changed; resolves when done (the promote route waits on it). */
  sync(): Promise<void>;
  close(): void;
}

/** After a version failed to load, it is tried again only after this long (the log says why each time). */
const RETRY_FAILED_MS = 30_000;

/**
 * Hot swap: every instance polls the database for the active model version (a one-row read every
 * MODEL_POLL_MS), and when it changed loads that version (its ONNX bytes from the database, or a shipped
 * file), puts it in use for the image API and uploads, and moves every inference worker to it. No
 * crop is dropped: a classification already running finishes on the old model, and a worker classifies
 * on its old model until the new one has loaded (its batches are tagged with the version that ran them).
 * Polling rather than a message: it needs no Redis, and an instance that was down when a version was
 * promoted catches up on its next poll.
 */
export function watchModels(options: ModelWatcherOptions): ModelWatcher {
  const { db, vision, log } = options;
  const failed = new Map<number, number>();
  let running: Promise<void> | null = null;
  let isClosed = false;

  async function check(): Promise<void> {
    const version = await db.activeModelVersion();
    if (!vision.current || vision.model?.version === version) return;
    const failedAt = failed.get(version);
    if (failedAt !== undefined && Date.now() - failedAt < RETRY_FAILED_MS) return;
    try {
      const model = await db.getModel(version);
      if (!model) throw new Error(`model version ${version} is active but not in model_versions`);
      const spec: ModelSpec = { version, card: model.card as ModelCard, bytes: model.onnx, path: model.file };
      const classifier = await options.load(spec);
      const from = vision.model?.version ?? null;
      vision.current.swapClassifier(classifier);
      vision.model = spec;
      options.swapWorkers();
      failed.delete(version);
      log.info({ from, to: version, provider: classifier.provider }, "emotion model swapped");
    } catch (err) {
      failed.set(version, Date.now());
      log.error({ err, version }, "the active model version could not be loaded; still serving the previous one");
    }
  }

  const sync = () => {
    running ??= check().finally(() => (running = null));
    return running;
  };
  const timer = setInterval(() => {
    if (!isClosed) sync().catch((err: unknown) => log.warn({ err }, "could not read the active model version"));
  }, options.pollMs);
  timer.unref();
  return {
    sync,
    close() {
      isClosed = true;
      clearInterval(timer);
    },
  };
}
