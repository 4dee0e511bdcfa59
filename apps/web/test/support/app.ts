import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { launchChromium } from "./browser";
import { ensureBuilt } from "./build-app";
import { startServer, type RunningServer } from "./server-process";

/** Where the browser tests leave their screenshots and downloads. */
export const artifacts = join(resolve(fileURLToPath(import.meta.url), "../../.."), "test/artifacts");

export interface AppUnderTest {
  /** A temp directory of this test file's own (the server's database and log live in it). */
  work: string;
  server: RunningServer;
  browser: Browser;
  close(): Promise<void>;
}

/**
 * The built web app served by a real server on a fresh embedded database, and a headless Chromium.
 * `prepare` runs in the work directory while the server starts and answers extra Chromium flags
 * (e.g. a fake camera fed from a file it made there).
 */
export async function startApp(name: string, prepare: (work: string) => Promise<string[]> = async () => []): Promise<AppUnderTest> {
  const work = await mkdtemp(join(tmpdir(), `emotion-${name}-`));
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    await server?.stop();
    await rm(work, { recursive: true, force: true });
  };
  try {
    await mkdir(artifacts, { recursive: true });
    await ensureBuilt();
    let flags: string[];
    [flags, server] = await Promise.all([prepare(work), startServer(work)]);
    browser = await launchChromium(flags);
    return { work, server, browser, close };
  } catch (error) {
    await close();
    throw error;
  }
}
