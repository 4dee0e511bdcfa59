import { afterAll, beforeAll, describe, expect, it } from "vitest";
import sharp from "sharp";
import { loadVision, decodeImage } from "./node";
import type { Vision } from "./vision";
import type { RawImage } from "./types";
import { samplePhoto, toRaw } from "../test/fixtures";

let vision: Vision;
let images: RawImage[];
beforeAll(async () => {
  vision = await loadVision({ threads: 1 });
  const photos = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => decodeImage(samplePhoto(i))));
  // a mirrored photo too: same size as its original, different answer
  images = [...photos, await toRaw(sharp(samplePhoto(2)).flop())];
}, 60_000);
afterAll(() => vision.release());

/** Runs `calls` at once and returns their answers in order. */
function runAtOnce<T>(calls: Array<() => Promise<T>>): Promise<T[]> {
  return Promise.all(calls.map((call) => call()));
}

/** Runs `call` on each item, one after another: the reference answers. */
async function runOneByOne<I, T>(items: I[], call: (item: I) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (const item of items) out.push(await call(item));
  return out;
}

describe("concurrent calls on one Vision", () => {
  it("give every detectFaces call the faces of its own image", async () => {
    const alone = await runOneByOne(images, (image) => vision.detectFaces(image));
    const order = Array.from({ length: 21 }, (_, k) => k % images.length);
    const together = await runAtOnce(order.map((i) => () => vision.detectFaces(images[i]!)));
    together.forEach((faces, k) => expect(faces, `call ${k} (image ${order[k]})`).toEqual(alone[order[k]!]));
  }, 120_000);

  it("give every analyze call the faces and emotions of its own image", async () => {
    const alone = await runOneByOne(images, (image) => vision.analyze(image));
    const order = Array.from({ length: 14 }, (_, k) => (k * 3) % images.length);
    const together = await runAtOnce(order.map((i) => () => vision.analyze(images[i]!)));
    together.forEach((faces, k) => expect(faces, `call ${k} (image ${order[k]})`).toEqual(alone[order[k]!]));
  }, 120_000);

  it("give every classify call the emotions of its own crops", async () => {
    const crops = await runOneByOne(images, async (image) => (await vision.detectFaces(image)).map((f) => vision.cropFace(image, f).pixels));
    const alone = await runOneByOne(crops, (c) => vision.classify(c));
    const order = Array.from({ length: 42 }, (_, k) => k % crops.length);
    const together = await runAtOnce(order.map((i) => () => vision.classify(crops[i]!)));
    together.forEach((r, k) => expect(r, `call ${k} (image ${order[k]})`).toEqual(alone[order[k]!]));
  }, 120_000);
});
