import { describe, expect, it } from "vitest";
import { agreementOf, disagreementsOf } from "./corrections-data";

const summary = {
  corrections: 6,
  withCrop: 2,
  agreed: 1,
  confusion: [
    { predicted: "happy" as const, label: "happy" as const, n: 1 },
    { predicted: "happy" as const, label: "neutral" as const, n: 1 },
    { predicted: "sad" as const, label: "neutral" as const, n: 3 },
    { predicted: null, label: "fear" as const, n: 1 },
  ],
};

describe("corrections in the report", () => {
  it("measures agreement only over corrections whose reading is known", () => {
    expect(agreementOf(summary)).toBeCloseTo(1 / 5, 6);
    expect(agreementOf({ corrections: 1, withCrop: 0, agreed: 0, confusion: [{ predicted: null, label: "sad", n: 1 }] })).toBeNull();
    expect(agreementOf({ corrections: 0, withCrop: 0, agreed: 0, confusion: [] })).toBeNull();
  });

  it("lists the disagreements, most frequent first, without the confirmations", () => {
    expect(disagreementsOf(summary).map((d) => `${d.predicted}->${d.label}:${d.n}`)).toEqual(["sad->neutral:3", "null->fear:1", "happy->neutral:1"]);
  });
});
