import type { Vision } from "@emotion/vision/web";

export type Detector = { mode: "crop"; vision: Vision } | { mode: "frame"; reason: string };

const EMOTION_MODEL_URL = "/models/emotion-mini-xception.onnx";
const CARD_URL = "/models/emotion-mini-xception.card.json";
const DETECTOR_MODEL_URL = "/models/face_detection_front_128x128_barracuda.onnx";
const WASM_PATHS = "/ort/";

/**
 * Loads face detection on onnxruntime-web. When the browser cannot run it (no WebAssembly, blocked
 * wasm, model missing), answers the fallback mode: small JPEG frames that the server detects in.
 * `?detector=off` in the page URL forces the fallback (for testing it).
 */
export async function loadDetector(): Promise<Detector> {
  if (new URLSearchParams(window.location.search).get("detector") === "off") return { mode: "frame", reason: "disabled by ?detector=off" };
  if (typeof WebAssembly !== "object") return { mode: "frame", reason: "WebAssembly is not available" };
  try {
    const [{ loadVision }, ort, card] = await Promise.all([
      import("@emotion/vision/web"),
      import("onnxruntime-web"),
      fetch(CARD_URL).then((r) => {
        if (!r.ok) throw new Error(`model card: HTTP ${r.status}`);
        return r.json();
      }),
    ]);
    // The detector model carries unused initialisers: ONNX Runtime's warnings about them are noise in the console.
    ort.env.logLevel = "error";
    // Threads need a cross-origin isolated page (SharedArrayBuffer); otherwise onnxruntime runs single-threaded.
    const threads = window.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
    const vision = await loadVision({ emotionModelUrl: EMOTION_MODEL_URL, detectorModelUrl: DETECTOR_MODEL_URL, card, wasmPaths: WASM_PATHS, threads });
    return { mode: "crop", vision };
  } catch (error) {
    console.warn("Face detection unavailable in this browser, sending small frames instead:", error);
    return { mode: "frame", reason: error instanceof Error ? error.message : String(error) };
  }
}
