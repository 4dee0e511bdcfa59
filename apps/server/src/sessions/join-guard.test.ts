import { describe, expect, it } from "vitest";
import { JoinGuard } from "./join-guard";

describe("JoinGuard", () => {
  it("refuses an address after max failures until its minute ends", () => {
    let now = 1_000_000;
    const guard = new JoinGuard(3, () => now);
    for (let i = 0; i < 2; i++) guard.fail("1.2.3.4");
    expect(() => guard.check("1.2.3.4")).not.toThrow();
    guard.fail("1.2.3.4");
    expect(() => guard.check("1.2.3.4")).toThrow(/MAX_FAILED_JOINS_PER_MINUTE=3\); try again in 60 s/);
    expect(guard.check("5.6.7.8")).toBeUndefined();
    now += 45_000;
    expect(guard.retryAfterMs("1.2.3.4")).toBe(15_000);
    try {
      guard.check("1.2.3.4");
    } catch (err) {
      expect(err).toMatchObject({ code: "RATE_LIMITED", status: 429, retryAfterS: 15 });
    }
    now += 15_000;
    expect(() => guard.check("1.2.3.4")).not.toThrow();
    // a new minute starts from zero
    guard.fail("1.2.3.4");
    expect(guard.retryAfterMs("1.2.3.4")).toBe(0);
  });

  it("stays bounded when a flood of addresses each fails once", () => {
    let now = 0;
    const guard = new JoinGuard(2, () => now);
    for (let i = 0; i < 150_000; i++) {
      guard.fail(`k${i}`);
      now += 1;
    }
    expect(guard.size).toBeLessThanOrEqual(100_000);
    // the newest addresses are remembered
    guard.fail("k149999");
    expect(guard.retryAfterMs("k149999")).toBeGreaterThan(0);
  });
});
