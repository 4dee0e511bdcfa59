import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { artifacts } from "./app";

/** Opens the join link in its own browser context (own camera permission and storage) and accepts consent. */
export async function joinAsListener(browser: Browser, joinUrl: string, name: string, consentShot = false): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, permissions: ["camera"] });
  const page = await context.newPage();
  page.on("pageerror", (error) => console.error(`[${name}] page error:`, error.message));
  await page.goto(joinUrl);
  await page.getByTestId("listener-name").fill(name);
  if (consentShot) await page.screenshot({ path: join(artifacts, "consent.png"), fullPage: true });
  await page.getByTestId("consent-accept").click();
  return { context, page };
}
