import { describe, expect, it } from "vitest";
import { computeMetrics } from "./metrics";

describe("computeMetrics", () => {
  it("computes accuracy, precision, recall and macro-F1 over the classes that occur", () => {
    // rows true, columns predicted; class c never occurs
    const m = computeMetrics(
      [
        [3, 1, 0],
        [1, 1, 0],
        [0, 0, 0],
      ],
      ["a", "b", "c"],
    );
    expect(m.n).toBe(6);
    expect(m.accuracy).toBeCloseTo(4 / 6);
    expect(m.perClass.a).toEqual({ precision: 0.75, recall: 0.75, f1: 0.75, support: 4 });
    expect(m.perClass.b).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(m.perClass.c?.support).toBe(0);
    expect(m.macroF1).toBeCloseTo(0.625);
  });
});
