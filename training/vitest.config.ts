import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // The smoke training runs a real (tiny) PyTorch job; on a busy 2-core machine that takes tens of seconds.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
