import { describe, expect, it } from "vitest";
import { estimateYaw } from "./head-pose";
import { DEFAULT_QUALITY } from "./crop";
import { unmirrorFace } from "./window";
import type { Face } from "./types";

// faces BlazeFace found in sample5.jpg: one turned ~35° (over her shoulder), one facing the camera
const TURNED: Face = {
  box: { x: 1405, y: 430, width: 235, height: 235 },
  score: 0.88,
  keypoints: [
    { x: 1441, y: 519 },
    { x: 1519, y: 501 },
    { x: 1462, y: 579 },
    { x: 1487, y: 614 },
    { x: 1447, y: 528 },
    { x: 1616, y: 490 },
  ],
};
const FRONTAL: Face = {
  box: { x: 352, y: 933, width: 239, height: 239 },
  score: 0.88,
  keypoints: [
    { x: 423, y: 1002 },
    { x: 519, y: 986 },
    { x: 483, y: 1050 },
    { x: 489, y: 1102 },
    { x: 370, y: 1036 },
    { x: 569, y: 1005 },
  ],
};

describe("estimateYaw", () => {
  it("reads a 3/4 view as turned but under the quality gate's limit, a frontal face as nearly 0°", () => {
    expect(Math.abs(estimateYaw(TURNED))).toBeGreaterThan(25);
    expect(Math.abs(estimateYaw(TURNED))).toBeLessThan(DEFAULT_QUALITY.maxYaw - 5);
    expect(Math.abs(estimateYaw(FRONTAL))).toBeLessThan(15);
  });

  it("gives the mirror image of a face the negated yaw", () => {
    for (const f of [TURNED, FRONTAL]) expect(estimateYaw(unmirrorFace(f, 1920))).toBeCloseTo(-estimateYaw(f), 6);
  });

  it("still answers without the ear keypoints, from the nose and eyes", () => {
    const earless = { ...TURNED, keypoints: TURNED.keypoints.slice(0, 4) };
    expect(Math.sign(estimateYaw(earless))).toBe(Math.sign(estimateYaw(TURNED)));
  });
});
