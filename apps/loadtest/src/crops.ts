import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { CROP_SIDE } from "@emotion/protocol";
import { decodeImage, loadVision } from "@emotion/vision/node";

const require = createRequire(import.meta.url);

/** Real photographs shipped by @vladmandic/face-api (a devDependency). */
export const SAMPLE_PATHS = [1, 2, 3, 4, 5, 6].map((n) => require.resolve(`@vladmandic/face-api/demo/sample${n}.jpg`));

/**
 * Real face crops, made the way a listener's browser makes them: BlazeFace on the sample photos, then the
 * eye-aligned grey crop and its quality gate. Only crops that pass the gate are kept, so every one the
 * load test sends becomes a classified reading on the server.
 */
export async function loadCropPool(): Promise<Uint8Array[]> {
  // One thread: the server and the simulated sockets need the cores more than this one-off does.
  const vision = await loadVision({ threads: 1 });
  try {
    const crops: Uint8Array[] = [];
    for (const path of SAMPLE_PATHS) {
      const image = await decodeImage(readFileSync(path));
      for (const face of await vision.detectFaces(image)) {
        const crop = vision.cropFace(image, face);
        // A copy of its own, so a send never drags a larger backing buffer along.
        if (crop.quality.ok && crop.pixels.length === CROP_SIDE * CROP_SIDE) crops.push(Uint8Array.from(crop.pixels));
      }
    }
    if (crops.length === 0) throw new Error("no face crop passed the quality gate in the sample photos");
    return crops;
  } finally {
    await vision.release();
  }
}
