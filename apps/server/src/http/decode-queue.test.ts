import { describe, expect, it } from "vitest";
import { AppError } from "@emotion/protocol";
import { DecodeQueue } from "./decode-queue";
import { RetryLaterError } from "./errors";

/** A job that finishes when the test says so. */
function gate<T>(value: T) {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, job: async () => (await opened, value) };
}

describe("DecodeQueue", () => {
  it("runs at most maxRunning jobs, queues maxWaiting more and refuses the rest at once", async () => {
    const queue = new DecodeQueue(2, 1);
    const gates = [gate("a"), gate("b"), gate("c")];
    const started = gates.map((g) => queue.run(g.job));
    expect(queue.size).toEqual({ running: 2, waiting: 1 });
    const refused = await queue.run(async () => "d").catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(RetryLaterError);
    expect(refused).toMatchObject({ code: "NOT_READY", status: 503, retryAfterS: 1 });
    expect((refused as AppError).message).toContain("MAX_CONCURRENT_DECODES=2, MAX_QUEUED_DECODES=1");

    gates[0]!.open();
    expect(await started[0]).toBe("a");
    // the waiter took the freed slot; nobody waits now
    expect(queue.size).toEqual({ running: 2, waiting: 0 });
    gates[1]!.open();
    gates[2]!.open();
    expect(await Promise.all(started)).toEqual(["a", "b", "c"]);
    expect(queue.size).toEqual({ running: 0, waiting: 0 });
  });

  it("frees the slot of a job that fails", async () => {
    const queue = new DecodeQueue(1, 0);
    await expect(
      queue.run(async () => {
        throw new AppError("CORRUPT_IMAGE", "bad");
      }),
    ).rejects.toMatchObject({ code: "CORRUPT_IMAGE" });
    expect(await queue.run(async () => 42)).toBe(42);
  });

  it("serves waiters in arrival order", async () => {
    const queue = new DecodeQueue(1, 3);
    const first = gate(0);
    const order: number[] = [];
    const runs = [queue.run(first.job), ...[1, 2, 3].map((n) => queue.run(async () => void order.push(n)))];
    first.open();
    await Promise.all(runs);
    expect(order).toEqual([1, 2, 3]);
  });
});
