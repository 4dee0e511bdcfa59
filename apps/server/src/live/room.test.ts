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

describe("the room merged from every instance (cluster mode)", () => {
  const reading = (at: number, dominant: "happy" | "sad") => ({
    at,
    quality: "ok" as const,
    dominant,
    probabilities: { angry: 0, disgust: 0, fear: 0, happy: dominant === "happy" ? 1 : 0, sad: dominant === "sad" ? 1 : 0, surprise: 0, neutral: 0 },
    confidence: 1,
    capturedAt: at - 50,
  });

  it("counts listeners connected to other instances in the mood, with their state and capture stamp", () => {
    const now = 100_000;
    const room = new RoomState("s", "live", 0, 3000);
    room.upsert({ id: "here", name: "Here", joinedAt: 0, socketId: "sock", latest: reading(now - 500, "happy") });
    room.applySnapshot("b", now - 400, [
      { id: "there", name: "There", joinedAt: 0, state: "active", hasLeft: false, latest: reading(now - 600, "sad") },
      { id: "paused", name: "Paused", joinedAt: 0, state: "paused", hasLeft: false, latest: null },
    ]);
    const mood = room.mood(now);
    expect(mood).toMatchObject({ listenerCount: 3, presentCount: 2, shares: { happy: 0.5, sad: 0.5 } });
    expect(mood.tiles.map((t) => [t.id, t.presence, t.capturedAt])).toEqual([
      ["there", "face", now - 650],
      ["paused", "paused", null],
      ["here", "face", now - 550],
    ]);
    expect(room.presentListeners(now)).toBe(3);
  });

  it("prefers the instance a listener is connected to, and lets the listeners of a dead instance go", () => {
    const now = 100_000;
    const room = new RoomState("s", "live", 0, 3000);
    // Loaded from the database here (not connected here), and connected on b.
    room.upsert({ id: "moved", name: "Moved", joinedAt: 0, latest: reading(now - 90_000, "sad") });
    room.applySnapshot("b", now - 200, [{ id: "moved", name: "Moved", joinedAt: 0, state: "active", hasLeft: false, latest: reading(now - 300, "happy") }]);
    expect(room.mood(now).tiles).toMatchObject([{ id: "moved", presence: "face", dominant: "happy" }]);
    // b stops sending (killed): its listener is no longer connected anywhere; once silent it has left.
    expect(room.mood(now + 10_000).tiles).toMatchObject([{ id: "moved", presence: "no_face" }]);
    expect(room.mood(now + 40_000).tiles).toMatchObject([{ id: "moved", presence: "left" }]);
    // It reconnects here: this instance's own entry wins.
    room.upsert({ id: "moved", name: "Moved", joinedAt: 0, socketId: "sock", latest: reading(now + 40_000, "sad") });
    expect(room.mood(now + 40_100).tiles).toMatchObject([{ id: "moved", presence: "face", dominant: "sad" }]);
  });

  it("tells the others only about its connected listeners and those who left through it lately", () => {
    const room = new RoomState("s", "live", 0, 3000);
    room.upsert({ id: "on", name: "On", joinedAt: 0, socketId: "a" });
    room.upsert({ id: "left", name: "Left", joinedAt: 0, hasLeft: true, leftAt: 1000 });
    room.upsert({ id: "db", name: "From the database", joinedAt: 0 });
    expect(room.snapshot(2000).map((l) => l.id)).toEqual(["on", "left"]);
    expect(room.snapshot(120_000).map((l) => l.id)).toEqual(["on"]);
  });
});
