import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { inject } from "vitest";

const run = promisify(execFile);
const webRoot = resolve(fileURLToPath(import.meta.url), "../../..");
const stamp = join(webRoot, "dist/.test-run");

/**
 * Builds dist/ for the browser tests once per `vitest run` (the test files run one after another and
 * share it); E2E_SKIP_BUILD=1 reuses an existing build.
 */
export async function ensureBuilt(): Promise<void> {
  if (process.env.E2E_SKIP_BUILD && existsSync(join(webRoot, "dist/index.html"))) return;
  const runId = inject("testRunId");
  if ((await readFile(stamp, "utf8").catch(() => "")) === runId) return;
  // A child process: vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
  await run(join(webRoot, "node_modules/.bin/vite"), ["build", "--logLevel", "error"], { cwd: webRoot, env: { ...process.env, NODE_ENV: "production" } });
  await writeFile(stamp, runId);
}

declare module "vitest" {
  export interface ProvidedContext {
    testRunId: string;
  }
}
