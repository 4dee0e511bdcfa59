import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Real model, real database, a busy 2-core machine: generous time, one file at a time.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
