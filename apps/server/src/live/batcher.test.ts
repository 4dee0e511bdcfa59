import { describe, expect, it } from "vitest";
import { EMOTIONS, toProbabilities } from "@emotion/protocol";
import { createBatcher } from "./batcher";

// The classifier here is a plain function of the crop (its first byte picks the emotion), so the test
// sees exactly which crops went into which call.
describe("micro-batcher", () => {
  function setup(maxBatch: number, waitMs: number) {
    const calls: number[] = [];
    const batcher = createBatcher({
      maxBatch,
      waitMs,
      classify: async (crops) => {
        calls.push(crops.length);
        await new Promise((r) => setTimeout(r, 5));
        return crops.map((c) => {
          const probs = toProbabilities(EMOTIONS.map((_, i) => (i === c[0]! % 7 ? 1 : 0)));
          return { probabilities: probs, dominant: EMOTIONS[c[0]! % 7]!, confidence: 1 };
        });
      },
    });
    return { batcher, calls };
  }

  it("puts crops that arrive together into one call and answers each its own result", async () => {
    const { batcher, calls } = setup(64, 10);
    const results = await Promise.all([0, 1, 2, 3, 4].map((i) => batcher.classify(new Uint8Array([i]))));
    expect(calls).toEqual([5]);
    expect(results.map((r) => r.dominant)).toEqual(["angry", "disgust", "fear", "happy", "sad"]);
  });

  it("flushes at maxBatch without waiting, and queues what arrives while a batch runs", async () => {
    const { batcher, calls } = setup(4, 1000);
    const first = Array.from({ length: 4 }, (_, i) => batcher.classify(new Uint8Array([i])));
    // a full batch goes at once: no 1000 ms wait for more crops
    expect(calls).toEqual([4]);
    const rest = Array.from({ length: 6 }, (_, i) => batcher.classify(new Uint8Array([4 + i])));
    await batcher.drain();
    await Promise.all([...first, ...rest]);
    expect(calls).toEqual([4, 4, 2]);
  });

  it("rejects every crop of a failed call and keeps working", async () => {
    let isBroken = true;
    const batcher = createBatcher({
      maxBatch: 8,
      waitMs: 1,
      classify: async (crops) => {
        if (isBroken) throw new Error("model failed");
        return crops.map(() => ({ probabilities: toProbabilities([0, 0, 0, 0, 0, 0, 1]), dominant: "neutral" as const, confidence: 1 }));
      },
    });
    await expect(Promise.all([batcher.classify(new Uint8Array(1)), batcher.classify(new Uint8Array(1))])).rejects.toThrow("model failed");
    isBroken = false;
    expect((await batcher.classify(new Uint8Array(1))).dominant).toBe("neutral");
  });
});
