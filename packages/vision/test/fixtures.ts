import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import sharp from "sharp";
import type { RawImage } from "../src/types";

const require = createRequire(import.meta.url);
const demoDir = join(dirname(require.resolve("@vladmandic/face-api/package.json")), "demo");

/** Real photographs shipped by @vladmandic/face-api (MIT). */
export function samplePhoto(i: number): Buffer {
  return readFileSync(join(demoDir, `sample${i}.jpg`));
}

export async function toRaw(input: Buffer | sharp.Sharp): Promise<RawImage> {
  const img = Buffer.isBuffer(input) ? sharp(input) : input;
  const { data, info } = await img.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data) };
}

/** Deterministic faceless images: flat grey, a gradient, and seeded noise. */
export function facelessImages(width = 320, height = 240): Array<[string, RawImage]> {
  const flat = new Uint8Array(width * height * 3).fill(128);
  const gradient = new Uint8Array(width * height * 3).map((_, i) => Math.floor((((i / 3) % width) / width) * 255));
  let seed = 42;
  const noise = new Uint8Array(width * height * 3).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
  return [
    ["flat", { width, height, channels: 3, data: flat }],
    ["gradient", { width, height, channels: 3, data: gradient }],
    ["noise", { width, height, channels: 3, data: noise }],
  ];
}
