import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Vision } from "@emotion/vision";
import { decodeImage, loadVision } from "@emotion/vision/node";
import sharp from "sharp";

const require = createRequire(import.meta.url);

/** Real photographs shipped by @vladmandic/face-api (a devDependency). */
export const SAMPLE_PATHS = [1, 2, 3, 4, 5, 6].map((n) => require.resolve(`@vladmandic/face-api/demo/sample${n}.jpg`));
export const readSample = (n: number) => readFileSync(SAMPLE_PATHS[n - 1]!);

let shared: Promise<Vision> | null = null;
/** One vision instance per test file (one thread: the machine is shared). */
export function testVision(): Promise<Vision> {
  shared ??= loadVision({ threads: 1 });
  return shared;
}

/** A flat grey-green PNG with no face in it. */
export function facelessPng(width = 320, height = 240): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 90, g: 140, b: 100 } } })
    .png()
    .toBuffer();
}

/** Face crops (CROP_SIDE² grey) from the sample photos that pass the quality gate. */
export async function sampleCrops(vision: Vision, count: number): Promise<Uint8Array[]> {
  const crops: Uint8Array[] = [];
  for (let n = 1; n <= SAMPLE_PATHS.length && crops.length < count; n++) {
    const image = await decodeImage(readSample(n));
    for (const face of await vision.detectFaces(image)) {
      const crop = vision.cropFace(image, face);
      if (crop.quality.ok) crops.push(crop.pixels);
      if (crops.length >= count) break;
    }
  }
  if (crops.length < count) throw new Error(`only ${crops.length} good crops in the samples`);
  return crops;
}

/** A sample photo as a small JPEG, like a browser's fallback frame. */
export function smallJpeg(n: number, width = 480): Promise<Buffer> {
  return sharp(readSample(n)).resize({ width }).jpeg({ quality: 80 }).toBuffer();
}

/** A small JPEG of a sample photo whose largest face passes the quality gate (for the frame fallback). */
export async function goodFrame(vision: Vision): Promise<Buffer> {
  for (let n = 1; n <= SAMPLE_PATHS.length; n++) {
    const jpeg = await smallJpeg(n);
    const image = await decodeImage(jpeg);
    const [face] = await vision.detectFaces(image, { maxFaces: 1 });
    if (face && vision.cropFace(image, face).quality.ok) return jpeg;
  }
  throw new Error("no sample has a good largest face at this size");
}
