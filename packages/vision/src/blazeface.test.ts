import { describe, expect, it } from "vitest";
import { ANCHORS, decodeDetections, letterboxInput, letterboxOf } from "./blazeface";

const logit = (p: number) => Math.log(p / (1 - p));

function heads(entries: Array<{ anchor: number; score: number; dx?: number; dy?: number; size: number }>) {
  const scores16 = new Float32Array(512).fill(-50),
    boxes16 = new Float32Array(512 * 16);
  const scores8 = new Float32Array(384).fill(-50),
    boxes8 = new Float32Array(384 * 16);
  for (const e of entries) {
    const [scores, boxes, i] = e.anchor < 512 ? [scores16, boxes16, e.anchor] : [scores8, boxes8, e.anchor - 512];
    scores[i] = logit(e.score);
    boxes.set([e.dx ?? 0, e.dy ?? 0, e.size, e.size], i * 16);
  }
  return [
    { scores: scores16, boxes: boxes16 },
    { scores: scores8, boxes: boxes8 },
  ];
}

describe("BlazeFace anchors and decoding", () => {
  it("has 896 anchors: 16x16x2 then 8x8x6, row-major", () => {
    expect(ANCHORS).toHaveLength(896);
    expect(ANCHORS[0]).toEqual({ x: 0.5 / 16, y: 0.5 / 16 });
    expect(ANCHORS[2]).toEqual({ x: 1.5 / 16, y: 0.5 / 16 });
    expect(ANCHORS[32]).toEqual({ x: 0.5 / 16, y: 1.5 / 16 });
    expect(ANCHORS[512]).toEqual({ x: 0.5 / 8, y: 0.5 / 8 });
    expect(ANCHORS[895]).toEqual({ x: 7.5 / 8, y: 7.5 / 8 });
  });

  it("merges overlapping candidates by score-weighted mean and keeps the top score (weighted NMS)", () => {
    const lb = letterboxOf(128, 128);
    // anchor 512+6*27 = cell (row 3, col 3) of the 8x8 grid, centre (3.5/8)*128 = 56 px
    const a = 512 + 6 * 27;
    const faces = decodeDetections(
      heads([
        { anchor: a, score: 0.9, dx: 0, size: 40 },
        { anchor: a + 1, score: 0.7, dx: 10, size: 40 }, // IoU with the first = 30/50 = 0.6 -> merged
        { anchor: 5, score: 0.8, size: 10 }, // far away -> separate face
        { anchor: 7, score: 0.4, size: 10 }, // below threshold
      ]),
      lb,
    );
    expect(faces).toHaveLength(2);
    const [big, small] = faces;
    expect(big!.score).toBeCloseTo(0.9, 6);
    const cx = 56 + (0.9 * 0 + 0.7 * 10) / 1.6;
    expect(big!.box.x + big!.box.width / 2).toBeCloseTo(cx, 3);
    expect(big!.box.width).toBeCloseTo(40, 3);
    expect(small!.score).toBeCloseTo(0.8, 6);
  });

  it("maps letterboxed coordinates back to source pixels", () => {
    const lb = letterboxOf(640, 480); // scale 0.2, padY 16
    expect(lb).toEqual({ scale: 0.2, padX: 0, padY: 16 });
    const a = 512 + 6 * 27; // centre (56, 56) in the 128 input
    const [face] = decodeDetections(heads([{ anchor: a, score: 0.9, size: 20 }]), lb);
    expect(face!.box.x + face!.box.width / 2).toBeCloseTo(56 / 0.2, 3);
    expect(face!.box.y + face!.box.height / 2).toBeCloseTo((56 - 16) / 0.2, 3);
    expect(face!.box.width).toBeCloseTo(100, 3);
  });

  it("letterboxes into [-1, 1] with grey padding", () => {
    const image = { width: 256, height: 128, channels: 3 as const, data: new Uint8Array(256 * 128 * 3).fill(255) };
    const out = new Float32Array(128 * 128 * 3);
    const lb = letterboxInput(image, out);
    expect(lb).toEqual({ scale: 0.5, padX: 0, padY: 32 });
    expect(out[0]).toBe(0); // top padding row
    expect(out[(64 * 128 + 64) * 3]).toBeCloseTo(1, 5); // image centre is white
  });

  it("letterboxes a region in place, and mirrored, as it would the region cut out (and flipped)", () => {
    const w = 300,
      h = 200;
    let seed = 3;
    const data = new Uint8Array(w * h * 3).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
    const image = { width: w, height: h, channels: 3 as const, data };
    const region = { x: 70, y: 40, width: 180, height: 120 };
    const cut = (isMirrored: boolean) => {
      const out = new Uint8Array(region.width * region.height * 3);
      for (let y = 0; y < region.height; y++)
        for (let x = 0; x < region.width; x++) {
          const sx = region.x + (isMirrored ? region.width - 1 - x : x);
          for (let k = 0; k < 3; k++) out[(y * region.width + x) * 3 + k] = data[((region.y + y) * w + sx) * 3 + k]!;
        }
      return { width: region.width, height: region.height, channels: 3 as const, data: out };
    };
    for (const isMirrored of [false, true]) {
      const inPlace = new Float32Array(128 * 128 * 3),
        fromCut = new Float32Array(128 * 128 * 3);
      expect(letterboxInput(image, inPlace, 128, { ...region, isMirrored })).toEqual(letterboxInput(cut(isMirrored), fromCut));
      expect(inPlace).toEqual(fromCut);
    }
  });
});
