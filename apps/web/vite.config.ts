import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { mlAssets } from "./build/ml-assets.plugin";

const apiTarget = "http://localhost:3000";

export default defineConfig({
  plugins: [react(), mlAssets()],
  resolve: {
    // The listener only needs the WebAssembly backend: its plain build is half the download of the WebGPU one.
    alias: [{ find: /^onnxruntime-web$/, replacement: "onnxruntime-web/wasm" }],
  },
  server: {
    proxy: {
      "/api": apiTarget,
      "/socket.io": { target: apiTarget, ws: true },
    },
  },
  // onnxruntime-web ships prebuilt ESM that loads its wasm from ort.env.wasm.wasmPaths; pre-bundling breaks that.
  optimizeDeps: { exclude: ["onnxruntime-web"] },
  build: { target: "es2022", chunkSizeWarningLimit: 1000 },
});
