import { describe, expect, it } from "vitest";
import { JoinThrottle } from "./join-throttle";

describe("JoinThrottle", () => {
  it("refuses a key after max failures until its window ends", () => {
    let now = 1_000_000;
    const throttle = new JoinThrottle(3, 60_000, () => now);
    for (let i = 0; i < 2; i++) throttle.recordFailure("1.2.3.4");
    expect(throttle.retryAfterMs("1.2.3.4")).toBe(0);
    throttle.recordFailure("1.2.3.4");
    expect(throttle.retryAfterMs("1.2.3.4")).toBe(60_000);
    expect(throttle.retryAfterMs("5.6.7.8")).toBe(0);
    now += 45_000;
    expect(throttle.retryAfterMs("1.2.3.4")).toBe(15_000);
    now += 15_000;
    expect(throttle.retryAfterMs("1.2.3.4")).toBe(0);
    // a new window starts from zero
    throttle.recordFailure("1.2.3.4");
    expect(throttle.retryAfterMs("1.2.3.4")).toBe(0);
  });

  it("stays bounded when a flood of addresses each fails once", () => {
    let now = 0;
    const throttle = new JoinThrottle(2, 60_000, () => now);
    for (let i = 0; i < 150_000; i++) {
      throttle.recordFailure(`k${i}`);
      now += 1;
    }
    expect(throttle.size).toBeLessThanOrEqual(100_000);
    // the newest keys are remembered
    throttle.recordFailure("k149999");
    expect(throttle.retryAfterMs("k149999")).toBeGreaterThan(0);
  });
});
