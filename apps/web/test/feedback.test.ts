import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifacts, startApp, type AppUnderTest } from "./support/app";
import { canRunBrowserTests, hasChromium } from "./support/browser";
import { buildStillCamera, hasFfmpeg } from "./support/fake-camera";
import { joinAsListener } from "./support/listener";
import type { RunningServer } from "./support/server-process";
const canRun = canRunBrowserTests(hasChromium && (await hasFfmpeg()));
const ADMIN_TOKEN = "feedback-e2e-admin-token-0123456789";

interface Created {
  id: string;
  code: string;
  joinUrl: string;
  speakerToken: string;
}

describe.skipIf(!canRun)("a listener's correction in Chromium: Not right?, the report's count, withdrawal", () => {
  let app: AppUnderTest | undefined;
  let server: RunningServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    // The server process inherits this file's environment: the models page needs the admin API on.
    process.env.ADMIN_TOKEN = ADMIN_TOKEN;
    app = await startApp("feedback-e2e", async (work) => {
      // A frontal face from the demo photographs, held still: the reading stays readable while the panel is open.
      const camera = await buildStillCamera(work, "still", { photo: 1, face: [1453, 158, 302], zoomOut: 2.2 });
      return ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", `--use-file-for-fake-video-capture=${camera}`];
    });
    ({ server, browser } = app);
  }, 300_000);

  afterAll(async () => {
    await app?.close();
  }, 60_000);

  async function correctionsOf(session: Created) {
    const response = await fetch(`${server!.url}/api/sessions/${session.id}/report`, { headers: { authorization: `Bearer ${session.speakerToken}` } });
    expect(response.status).toBe(200);
    return ((await response.json()) as { corrections: { corrections: number; withCrop: number } }).corrections;
  }
  async function openReport(page: Page, session: Created) {
    await page.goto(`${server!.url}/report/${session.id}#token=${encodeURIComponent(session.speakerToken)}`);
    await page.getByTestId("corrections").waitFor({ timeout: 20_000 });
  }

  it("corrects a reading with the crop shared, shows 1 correction with 1 crop in the report, and withdraws it to 0", async () => {
    const { url } = server!;
    const response = await fetch(`${url}/api/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ title: "Feedback (e2e)" }),
    });
    const session = (await response.json()) as Created;

    const { context, page } = await joinAsListener(browser!, `${url}/join/${session.code}`, "Ada");
    await page.waitForSelector('[data-testid="self-reading"]:not([data-emotion=""])', { timeout: 90_000 });
    expect(await page.getByTestId("listener-status").textContent()).toContain("face crops are being sent");

    // The consent is a separate box, unticked until the listener ticks it.
    await page.getByTestId("feedback-open").click();
    const panel = page.getByTestId("feedback-panel");
    await panel.waitFor();
    const share = page.getByTestId("feedback-share-crop");
    expect(await share.isChecked()).toBe(false);
    expect(await share.isEnabled()).toBe(true);
    const shown = (await panel.locator("p strong").first().textContent())!.toLowerCase();
    const felt = shown === "surprise" ? "sad" : "surprise";
    expect(await page.getByTestId("feedback-send").isDisabled()).toBe(true);
    // chosen with the keyboard, as a screen-reader user would
    await page.getByTestId(`feedback-label-${felt}`).focus();
    await page.keyboard.press("Enter");
    expect(await page.getByTestId(`feedback-label-${felt}`).getAttribute("aria-pressed")).toBe("true");
    await share.check();
    await page.locator("canvas.crop-preview").waitFor();
    await page.screenshot({ path: join(artifacts, "listener-feedback.png"), fullPage: true });
    await page.getByTestId("feedback-send").click();
    const confirmation = page.getByTestId("feedback-confirmation");
    await confirmation.waitFor({ timeout: 15_000 });
    expect(await confirmation.textContent()).toMatch(new RegExp(`recorded as ${felt}.*face crop was shared`, "i"));
    await page.getByTestId("feedback-card").screenshot({ path: join(artifacts, "listener-feedback-sent.png") });
    expect(await correctionsOf(session)).toMatchObject({ corrections: 1, withCrop: 1 });

    // The speaker's report counts it, and shows no image of anyone.
    const speaker = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    const report = await speaker.newPage();
    await openReport(report, session);
    expect(await report.getByTestId("corrections-count").textContent()).toBe("1");
    expect(await report.getByTestId("corrections-with-crop").textContent()).toBe("1");
    expect(await report.locator('[data-testid="corrections"] img, [data-testid="corrections"] canvas').count()).toBe(0);
    await report.getByTestId("corrections").screenshot({ path: join(artifacts, "report-corrections.png") });

    // The models page asks for the admin token, refuses a wrong one plainly, then shows the correction in the active version's confusion.
    const models = await speaker.newPage();
    await models.goto(`${url}/models`);
    await models.getByTestId("admin-token").fill("not-the-admin-token-at-all");
    await models.getByTestId("admin-token-submit").click();
    expect(await models.getByTestId("admin-token-error").textContent()).toMatch(/refused this token.*ADMIN_TOKEN/);
    await models.getByTestId("admin-token").fill(ADMIN_TOKEN);
    await models.getByTestId("admin-token-submit").click();
    await models.getByTestId("model-versions").waitFor({ timeout: 20_000 });
    expect(await models.locator('[data-testid="model-row"][data-status="active"]').count()).toBe(1);
    await models.locator('[data-testid="monitor-meanConfidence"] .recharts-line-dot').first().waitFor({ timeout: 10_000 });
    const confusion = models.getByTestId("confusion-table");
    expect(await confusion.locator("caption").textContent()).toMatch(/1 correction$/);
    expect(await confusion.locator("td.total").allTextContents()).toEqual(["1"]);
    await models.screenshot({ path: join(artifacts, "models.png"), fullPage: true });
    await models.close();

    // The listener withdraws (after confirming) and learns what was deleted.
    await page.getByTestId("withdraw-open").click();
    await page.getByTestId("withdraw-confirm").click();
    const result = page.getByTestId("withdraw-result");
    await result.waitFor({ timeout: 15_000 });
    expect(await result.textContent()).toBe("Deleted 1 correction and 1 shared face crop.");
    expect(await correctionsOf(session)).toMatchObject({ corrections: 0, withCrop: 0 });
    await openReport(report, session);
    await report.getByTestId("corrections-empty").waitFor();
    expect(await report.getByTestId("corrections-delete").isDisabled()).toBe(true);

    await context.close();
    await speaker.close();
  }, 300_000);
});
