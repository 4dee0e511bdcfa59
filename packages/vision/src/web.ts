import * as ort from "onnxruntime-web";
import { createVision, type Vision } from "./vision";
import type { ModelCard, QualityOptions } from "./types";

export interface LoadWebVisionOptions {
  emotionModelUrl: string;
  detectorModelUrl: string;
  card: ModelCard;
  /** Where onnxruntime-web's .wasm/.mjs files are served (no CDN). */
  wasmPaths?: string;
  /** WebAssembly threads (needs cross-origin isolation; default 1). */
  threads?: number;
  quality?: QualityOptions;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not load ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Loads the same models as the server, on onnxruntime-web (WebAssembly). */
export async function loadVision(options: LoadWebVisionOptions): Promise<Vision> {
  if (options.wasmPaths) ort.env.wasm.wasmPaths = options.wasmPaths;
  ort.env.wasm.numThreads = options.threads ?? 1;
  const [emotionModel, detectorModel] = await Promise.all([fetchBytes(options.emotionModelUrl), fetchBytes(options.detectorModelUrl)]);
  return createVision({
    ort,
    emotionModel,
    detectorModel,
    card: options.card,
    quality: options.quality,
    sessionOptions: { executionProviders: ["wasm"] },
  });
}

export type { Vision } from "./vision";
export type { RawImage, Face, FaceCrop, EmotionResult, ModelCard } from "./types";
