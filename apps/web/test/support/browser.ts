import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const hasChromium = existsSync(chromiumPath);

/** Headless Chromium at CHROMIUM_PATH (default /usr/bin/chromium), quiet and without a sandbox (CI containers). */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", ...extraArgs],
  });
}

/**
 * Whether the browser tests can run here (Chromium and ffmpeg found). Where they cannot, a developer's
 * machine skips them, but CI (CI set, as .ci/run does) fails: a green run must have driven a browser.
 */
export function canRunBrowserTests(hasTools: boolean): boolean {
  if (!hasTools && process.env.CI) throw new Error(`CI must run the browser tests: Chromium (${chromiumPath}, CHROMIUM_PATH) and ffmpeg are required`);
  return hasTools;
}
