import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["./test/support/global-setup.ts"],
    // The browser tests each start a server and Chromium: side by side they would compete for the CPU.
    fileParallelism: false,
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
  },
});
