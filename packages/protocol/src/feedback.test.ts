import { describe, expect, it } from "vitest";
import { CROP_SIDE, MAX_SEQ } from "./crop";
import { EMOTIONS } from "./emotions";
import { describeZodError } from "./errors";
import { ContributionsDeleted, CorrectionSummary, ListenerFeedback } from "./feedback";
import { clientEventSchemas } from "./socket";

const crop = (bytes = CROP_SIDE * CROP_SIDE) => new Uint8Array(bytes).fill(128);
/** The parse error as the server's ack would word it, or null when the payload is valid. */
function refusal(payload: unknown): string | null {
  const parsed = ListenerFeedback.safeParse(payload);
  return parsed.success ? null : describeZodError(parsed.error);
}

describe("listener:feedback", () => {
  it("is one of the client events the server's registration helper parses", () => {
    expect(clientEventSchemas["listener:feedback"]).toBe(ListenerFeedback);
  });

  it("takes every emotion name as the label, with or without a crop", () => {
    for (const label of EMOTIONS) expect(refusal({ v: 1, seq: 7, label })).toBeNull();
    const parsed = ListenerFeedback.parse({ v: 1, seq: 7, label: "sad", crop: crop() });
    expect(parsed.crop).toBeInstanceOf(Uint8Array);
    expect(parsed.crop?.byteLength).toBe(2304);
    // a browser's ArrayBuffer arrives as such; it becomes a Uint8Array of the same bytes
    expect(ListenerFeedback.parse({ v: 1, seq: 7, label: "sad", crop: crop().buffer }).crop?.[0]).toBe(128);
  });

  it("refuses labels that are not one of the 7 emotions, naming the field", () => {
    for (const label of ["Happy", "contempt", "", 3, null]) expect(refusal({ v: 1, seq: 1, label })).toMatch(/^label: /);
    expect(refusal({ v: 1, seq: 1 })).toMatch(/^label: /);
  });

  it("takes seq in the crop stream's range (0..MAX_SEQ, integers) only", () => {
    expect(refusal({ v: 1, seq: 0, label: "happy" })).toBeNull();
    expect(refusal({ v: 1, seq: MAX_SEQ, label: "happy" })).toBeNull();
    for (const seq of [-1, MAX_SEQ + 1, 1.5, Number.NaN, "3", undefined]) expect(refusal({ v: 1, seq, label: "happy" })).toMatch(/^seq: /);
  });

  it("takes a crop of exactly CROP_SIDE² bytes of binary only", () => {
    expect(refusal({ v: 1, seq: 1, label: "fear", crop: crop(2303) })).toBe("crop: crop must be 2304 bytes");
    expect(refusal({ v: 1, seq: 1, label: "fear", crop: crop(2305) })).toBe("crop: crop must be 2304 bytes");
    expect(refusal({ v: 1, seq: 1, label: "fear", crop: crop(0) })).toBe("crop: crop must be 2304 bytes");
    expect(refusal({ v: 1, seq: 1, label: "fear", crop: Array.from(crop()) })).toMatch(/^crop: must be binary/);
    expect(refusal({ v: 1, seq: 1, label: "fear", crop: "base64==" })).toMatch(/^crop: must be binary/);
  });

  it("needs the version literal", () => {
    expect(refusal({ v: 2, seq: 1, label: "fear" })).toMatch(/^v: /);
    expect(refusal({ seq: 1, label: "fear" })).toMatch(/^v: /);
  });
});

describe("contribution answers", () => {
  it("count deleted rows as non-negative integers", () => {
    expect(ContributionsDeleted.parse({ corrections: 2, samples: 1 })).toEqual({ corrections: 2, samples: 1 });
    expect(ContributionsDeleted.safeParse({ corrections: -1, samples: 0 }).success).toBe(false);
    expect(ContributionsDeleted.safeParse({ corrections: 0.5, samples: 0 }).success).toBe(false);
  });

  it("summarise corrections with a confusion whose cells are never empty", () => {
    const summary = {
      corrections: 2,
      withCrop: 1,
      agreed: 0,
      confusion: [
        { predicted: null, label: "sad", n: 1 },
        { predicted: "happy", label: "sad", n: 1 },
      ],
    };
    expect(CorrectionSummary.parse(summary)).toEqual(summary);
    expect(CorrectionSummary.safeParse({ ...summary, confusion: [{ predicted: "happy", label: "sad", n: 0 }] }).success).toBe(false);
  });
});
