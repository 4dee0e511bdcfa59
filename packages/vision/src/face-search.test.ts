import { describe, expect, it } from "vitest";
import { orderFaces, searchWindows } from "./face-search";
import type { Face } from "./types";

const face = (cx: number, cy: number, side: number, score: number): Face => ({
  box: { x: cx - side / 2, y: cy - side / 2, width: side, height: side },
  score,
  keypoints: [],
});

describe("orderFaces", () => {
  it("puts the most confident face first, not the largest", () => {
    // the photo: the real face (0.95) and a larger false positive (0.61) on the background
    const phantom = face(900, 300, 420, 0.61),
      real = face(400, 500, 200, 0.95);
    expect(orderFaces([phantom, real], 1280, 960)).toEqual([real, phantom]);
  });

  it("breaks a tie (scores within 0.02) by the distance to the frame centre", () => {
    const edge = face(100, 100, 200, 0.905),
      centre = face(650, 470, 150, 0.897);
    expect(orderFaces([edge, centre], 1280, 960)).toEqual([centre, edge]);
    const surer = face(100, 100, 200, 0.95);
    expect(orderFaces([centre, surer], 1280, 960)).toEqual([surer, centre]);
  });
});

describe("searchWindows", () => {
  it("looks at a small frame whole", () => {
    expect(searchWindows(320, 240)).toEqual([{ x: 0, y: 0, width: 320, height: 240 }]);
  });

  it("adds overlapping tiles of half the longer side that cover a large frame", () => {
    const [whole, ...tiles] = searchWindows(1920, 1280);
    expect(whole).toEqual({ x: 0, y: 0, width: 1920, height: 1280 });
    expect(tiles.every((t) => t.width === 960 && t.height === 960)).toBe(true);
    expect(new Set(tiles.map((t) => t.x))).toEqual(new Set([0, 480, 960]));
    expect(new Set(tiles.map((t) => t.y))).toEqual(new Set([0, 320]));
    // every pixel lies in some tile
    for (const [x, y] of [
      [0, 0],
      [1919, 1279],
      [959, 640],
      [1500, 100],
    ])
      expect(tiles.some((t) => x! >= t.x && x! < t.x + t.width && y! >= t.y && y! < t.y + t.height)).toBe(true);
  });
});
