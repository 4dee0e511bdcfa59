import { describe, expect, it } from "vitest";
import { judgePlausibility } from "./plausibility";
import type { Face } from "./types";

// a face BlazeFace found in sample6.jpg (1920x1537), as detectFaces returned it
const FRAME = { width: 1920, height: 1537 };
const FACE: Face = {
  box: { x: 1139, y: 351, width: 244, height: 244 },
  score: 0.916,
  keypoints: [
    { x: 1230, y: 431 },
    { x: 1324, y: 436 },
    { x: 1284, y: 504 },
    { x: 1276, y: 537 },
    { x: 1160, y: 425 },
    { x: 1356, y: 435 },
  ],
};
const withPoints = (move: (p: { x: number; y: number }, i: number) => { x: number; y: number }): Face => ({
  ...FACE,
  keypoints: FACE.keypoints.map(move),
});
const cy = FACE.box.y + FACE.box.height / 2;

describe("judgePlausibility", () => {
  it("takes a real face for a face", () => {
    expect(judgePlausibility(FACE, FRAME)).toBeNull();
  });

  it("refuses an upside-down face: mouth above the nose above the eyes", () => {
    // mirrored top to bottom: the eyes stay image-left first, so the eye line is level and the order is reversed
    expect(
      judgePlausibility(
        withPoints((p) => ({ x: p.x, y: 2 * cy - p.y })),
        FRAME,
      ),
    ).toBe("eyes_not_above_nose");
  });

  it("refuses a mouth level with the nose", () => {
    expect(
      judgePlausibility(
        withPoints((p, i) => (i === 3 ? { x: p.x, y: 506 } : p)),
        FRAME,
      ),
    ).toBe("nose_not_above_mouth");
  });

  it("refuses keypoints strewn outside the box", () => {
    expect(
      judgePlausibility(
        withPoints((p, i) => (i === 3 ? { x: p.x, y: p.y + 200 } : p)),
        FRAME,
      ),
    ).toBe("keypoints_outside");
  });

  it("refuses eyes too close together or too far apart for the box", () => {
    expect(
      judgePlausibility(
        withPoints((p, i) => (i === 1 ? { x: 1255, y: p.y } : p)),
        FRAME,
      ),
    ).toBe("eye_distance");
    expect(
      judgePlausibility(
        withPoints((p, i) => (i === 0 ? { x: 1142, y: p.y } : i === 1 ? { x: 1380, y: p.y } : p)),
        FRAME,
      ),
    ).toBe("eye_distance");
  });

  it("refuses a sideways face (the eye line past 65°)", () => {
    const [e0] = FACE.keypoints;
    // turned 80° about the first eye
    const a = (80 * Math.PI) / 180;
    const turned = withPoints((p) => ({
      x: e0!.x + (p.x - e0!.x) * Math.cos(a) - (p.y - e0!.y) * Math.sin(a),
      y: e0!.y + (p.x - e0!.x) * Math.sin(a) + (p.y - e0!.y) * Math.cos(a),
    }));
    expect(judgePlausibility({ ...turned, box: { ...FACE.box, x: FACE.box.x - 120, y: FACE.box.y + 20 } }, FRAME)).toBe("head_roll");
  });

  it("refuses a box that is not square enough, or larger than the frame", () => {
    expect(judgePlausibility({ ...FACE, box: { ...FACE.box, height: 400 } }, FRAME)).toBe("box_shape");
    expect(judgePlausibility(FACE, { width: 180, height: 180 })).toBe("box_size");
  });
});
