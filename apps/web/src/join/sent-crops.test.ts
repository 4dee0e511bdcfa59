import type { ListenerCrop, ReadingAck } from "@emotion/protocol";
import { describe, expect, it } from "vitest";
import { rememberingCrops, SentCrops } from "./sent-crops";

const face = (seq: number): ListenerCrop => ({ v: 1, kind: "face", seq, capturedAt: Date.now(), crop: new Uint8Array(2304).fill(seq % 256) });

describe("SentCrops", () => {
  it("keeps the last crops by seq and forgets the oldest beyond its capacity", () => {
    const crops = new SentCrops(3);
    for (let seq = 1; seq <= 5; seq++) crops.remember(seq, new Uint8Array([seq]));
    expect(crops.cropOf(1)).toBeNull();
    expect(crops.cropOf(2)).toBeNull();
    expect([3, 4, 5].map((seq) => crops.cropOf(seq)?.[0])).toEqual([3, 4, 5]);
  });

  it("remembers what the transport sends as face crops, and nothing for no-face beats or frames", async () => {
    const crops = new SentCrops();
    const sent: number[] = [];
    const transport = rememberingCrops(
      { canSend: () => true, send: async (p) => (sent.push(p.seq), { seq: p.seq, quality: "no_face", dominant: null, probabilities: null }) as ReadingAck },
      crops,
    );
    await transport.send(face(7));
    await transport.send({ v: 1, kind: "no_face", seq: 8, capturedAt: Date.now() });
    await transport.send({ v: 1, kind: "frame", seq: 9, capturedAt: Date.now(), jpeg: new Uint8Array(10) });
    expect(sent).toEqual([7, 8, 9]);
    expect(crops.cropOf(7)?.byteLength).toBe(2304);
    expect(crops.cropOf(8)).toBeNull();
    expect(crops.cropOf(9)).toBeNull();
  });
});
