import { describe, expect, it } from "vitest";
import { claimTMs, RoomState } from "./room";

describe("claimTMs", () => {
  it("gives each reading of a listener its own millisecond, so none is dropped as a duplicate key", () => {
    const room = new RoomState("s", "live", 0, 3000);
    const entry = room.upsert({ id: "p", name: "P", joinedAt: 0 });
    // Three crops received together after a long queue: their capture stamps were replaced by one receive time.
    expect([claimTMs(entry, 5000), claimTMs(entry, 5000), claimTMs(entry, 5000)]).toEqual([5000, 5001, 5002]);
    expect(claimTMs(entry, 5250.4)).toBe(5250);
    // Readings that arrive out of order keep their own times.
    expect(claimTMs(entry, 4750)).toBe(4750);
    // Another listener is independent.
    expect(claimTMs(room.upsert({ id: "q", name: "Q", joinedAt: 0 }), 5000)).toBe(5000);
  });
});
