import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createEmaFilter, createTemporalFilter, TEMPORAL_CARD_URL, TEMPORAL_MODEL_URL, type TemporalCard, type TemporalFilter } from "@emotion/vision/temporal";
import type { FastifyBaseLogger } from "fastify";
import * as ort from "onnxruntime-node";

export type TemporalFilterKind = "gru" | "ema" | "off";

/**
 * The per-listener temporal filter the live path shows (TEMPORAL_FILTER): the learned GRU shipped in
 * models/ (default), the EMA its card was compared with, or none (tiles show single readings). A GRU that
 * cannot load falls back to the EMA, loudly: steadier tiles are worth more than none.
 */
export async function loadTemporalFilter(kind: TemporalFilterKind, log: FastifyBaseLogger): Promise<TemporalFilter | null> {
  if (kind === "off") return null;
  const card = JSON.parse(readFileSync(TEMPORAL_CARD_URL, "utf8")) as TemporalCard & { emaAlphaTunedOnTraining?: number };
  const ema = () => createEmaFilter({ alpha: card.emaAlphaTunedOnTraining ?? 0.4 });
  if (kind === "ema") return ema();
  try {
    // One step of all listeners is a few µs per listener: one thread, on the event loop, is plenty.
    return await createTemporalFilter({ ort, model: fileURLToPath(TEMPORAL_MODEL_URL), card, sessionOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 } });
  } catch (err) {
    log.error({ err }, "temporal model not loaded; smoothing readings with the EMA instead");
    return ema();
  }
}
