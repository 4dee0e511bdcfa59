import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // The end-to-end test starts a real server (model + PGlite) and the load generator as child processes.
    testTimeout: 90_000,
    fileParallelism: false,
  },
});
