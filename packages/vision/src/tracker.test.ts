import { describe, expect, it } from "vitest";
import { FaceTracker } from "./tracker";

const face = (x: number, y: number, s = 100) => ({ box: { x, y, width: s, height: s } });

describe("FaceTracker", () => {
  it("keeps identities of faces that move a little between frames", () => {
    const t = new FaceTracker();
    expect(t.update(0, [face(0, 0), face(500, 0)])).toEqual([1, 2]);
    expect(t.update(500, [face(520, 10), face(15, 5)])).toEqual([2, 1]);
    expect(t.update(1000, [face(30, 10), face(540, 20)])).toEqual([1, 2]);
  });

  it("gives a face that returns within the gap its old identity, and a new one after it", () => {
    const t = new FaceTracker({ maxGapMs: 3000 });
    t.update(0, [face(0, 0)]);
    t.update(1000, []);
    expect(t.update(2500, [face(10, 0)])).toEqual([1]);
    t.update(3000, []);
    expect(t.update(7000, [face(10, 0)])).toEqual([2]);
  });

  it("does not merge a new face far away or of a very different size", () => {
    const t = new FaceTracker();
    t.update(0, [face(0, 0)]);
    expect(t.update(500, [face(400, 0), face(0, 0, 300)])).toEqual([2, 3]);
    expect(t.summary()).toEqual([
      { id: 1, frames: 1 },
      { id: 2, frames: 1 },
      { id: 3, frames: 1 },
    ]);
  });

  it("closes a track after the gap and hands its id over once", () => {
    const t = new FaceTracker({ maxGapMs: 4000 });
    t.update(0, [face(0, 0), face(500, 0)]);
    t.update(3500, [face(0, 0)]);
    expect(t.takeClosed()).toEqual([]);
    t.update(4600, [face(0, 0)]);
    expect(t.takeClosed()).toEqual([2]);
    expect(t.takeClosed()).toEqual([]);
    expect(t.summary()).toEqual([{ id: 1, frames: 3 }]);
    expect(t.update(5000, [face(500, 0)])).toEqual([3]);
    expect(t.closeAll()).toEqual([1, 3]);
    expect(t.summary()).toEqual([]);
    expect(t.opened).toBe(3);
  });

  it("keeps at most maxTracks open, closing the one seen longest ago", () => {
    const t = new FaceTracker({ maxTracks: 3 });
    for (let i = 0; i < 10; i++) t.update(i * 100, [face(i * 1000, 0)]);
    expect(t.summary().map((s) => s.id)).toEqual([8, 9, 10]);
    expect(t.takeClosed()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // a face of the current frame is never the one evicted
    expect(t.update(2000, [face(9000, 0), face(50_000, 0), face(60_000, 0)])).toEqual([10, 11, 12]);
    expect(
      t
        .summary()
        .map((s) => s.id)
        .sort((a, b) => a - b),
    ).toEqual([10, 11, 12]);
  });
});
