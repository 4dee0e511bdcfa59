import { describe, expect, it } from "vitest";
import { AppError } from "./errors";
import { CropOutbox } from "./outbox";
import { ListenerCrop, type ReadingAck } from "./socket";

const crop = (seq: number, capturedAt = 1_700_000_000_000 + seq): ListenerCrop => ({ v: 1, kind: "no_face", seq, capturedAt });
const ackOf = (p: ListenerCrop): ReadingAck => ({ seq: p.seq, quality: "no_face", dominant: null, probabilities: null });
const settle = () => new Promise((r) => setTimeout(r, 0));

/** A fake server that answers each send as told: the outbox under test is real. */
function harness(answer: (p: ListenerCrop, n: number) => Promise<ReadingAck>, options: { capacity?: number } = {}) {
  let connected = true;
  const sent: ListenerCrop[] = [];
  const acked: number[] = [];
  const dropped: Array<[number, string]> = [];
  const outbox = new CropOutbox({
    send: (p) => {
      sent.push(p);
      return answer(p, sent.length);
    },
    canSend: () => connected,
    onAck: (a) => acked.push(a.seq),
    onDrop: (p, reason) => dropped.push([p.seq, reason]),
    now: () => 42,
    ...options,
  });
  return { outbox, sent, acked, dropped, setConnected: (c: boolean) => (connected = c) };
}

describe("CropOutbox", () => {
  it("keeps crops while disconnected and sends them oldest first, at most 3 at a time, stamped with sentAt", async () => {
    const h = harness(async (p) => ackOf(p));
    h.setConnected(false);
    for (let i = 0; i < 5; i++) h.outbox.add(crop(i));
    expect(h.sent).toHaveLength(0);
    expect(h.outbox.size).toBe(5);
    expect(h.outbox.isCatchingUp).toBe(true);
    h.setConnected(true);
    h.outbox.pump();
    expect(h.sent.map((p) => p.seq)).toEqual([0, 1, 2]);
    await expect.poll(() => h.acked.length).toBe(5);
    expect(h.acked).toEqual([0, 1, 2, 3, 4]);
    expect(h.sent.every((p) => p.sentAt === 42)).toBe(true);
    expect(h.outbox.size).toBe(0);
    expect(h.outbox.isCatchingUp).toBe(false);
  });

  it("re-sends a crop whose send failed (timeout, NOT_READY) with the same seq and capturedAt until it is acked", async () => {
    const h = harness(async (p, n) => {
      if (n <= 2) throw n === 1 ? new Error("operation has timed out") : new AppError("NOT_READY", "catching up");
      return ackOf(p);
    });
    h.outbox.add(crop(7, 123));
    await expect.poll(() => h.acked, { timeout: 3000 }).toEqual([7]);
    expect(h.sent.map((p) => [p.seq, p.capturedAt])).toEqual([
      [7, 123],
      [7, 123],
      [7, 123],
    ]);
    expect(h.outbox.stats).toMatchObject({ acked: 1, retried: 2, dropped: 0 });
  });

  it("drops a crop the server refuses for good, and everything once the session ended", async () => {
    const h = harness(async (p) => {
      if (p.seq === 1) throw new AppError("VALIDATION_FAILED", "capturedAt: out of range");
      if (p.seq === 3) throw new AppError("SESSION_ENDED", "ended");
      return ackOf(p);
    });
    h.outbox.add(crop(0));
    h.outbox.add(crop(1));
    await expect.poll(() => h.dropped.length).toBe(1);
    expect(h.dropped[0]).toEqual([1, "VALIDATION_FAILED: capturedAt: out of range"]);
    h.outbox.add(crop(3));
    await settle();
    h.outbox.add(crop(4));
    expect(h.outbox.size).toBe(0);
    expect(h.acked).toEqual([0]);
  });

  it("takes in-flight crops back on a disconnect, ignores their late answers, and re-sends them in order", async () => {
    const pending: Array<() => void> = [];
    let hold = true;
    const h = harness((p) => (hold ? new Promise((resolve) => pending.push(() => resolve(ackOf(p)))) : Promise.resolve(ackOf(p))));
    for (let i = 0; i < 4; i++) h.outbox.add(crop(i));
    expect(h.sent.map((p) => p.seq)).toEqual([0, 1, 2]);
    h.setConnected(false);
    h.outbox.requeueInFlight();
    pending.forEach((answer) => answer()); // the old sends answer late: ignored, not double-counted
    await settle();
    expect(h.acked).toEqual([]);
    expect(h.outbox.size).toBe(4);
    hold = false;
    h.setConnected(true);
    h.outbox.pump();
    await expect.poll(() => h.acked).toEqual([0, 1, 2, 3]);
  });

  it("is bounded: when full, the oldest crop is dropped and counted", () => {
    const h = harness(async (p) => ackOf(p), { capacity: 3 });
    h.setConnected(false);
    for (let i = 0; i < 5; i++) h.outbox.add(crop(i));
    expect(h.outbox.size).toBe(3);
    expect(h.dropped.map(([seq]) => seq)).toEqual([0, 1]);
  });
});

describe("listener:crop ranges", () => {
  const base = { v: 1, kind: "no_face", seq: 1, capturedAt: Date.now() };
  it.each([
    ["capturedAt far in the future", { capturedAt: 1e16 }, "capturedAt"],
    ["capturedAt a year ago", { capturedAt: Date.now() - 365 * 86_400_000 }, "capturedAt"],
    ["capturedAt not finite", { capturedAt: Number.POSITIVE_INFINITY }, "capturedAt"],
    ["seq beyond a Postgres integer", { seq: 2 ** 31 }, "seq"],
    ["seq negative", { seq: -1 }, "seq"],
    ["sentAt far away", { sentAt: 5 }, "sentAt"],
  ])("refuses %s, naming the field", (_name, patch, field) => {
    const result = ListenerCrop.safeParse({ ...base, ...patch });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path).toEqual([field]);
  });
  it("accepts a crop captured a minute ago and re-sent now", () => {
    expect(ListenerCrop.safeParse({ ...base, capturedAt: Date.now() - 60_000, sentAt: Date.now() }).success).toBe(true);
  });
});
