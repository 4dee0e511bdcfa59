import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifacts, startApp, type AppUnderTest } from "./support/app";
import { canRunBrowserTests, hasChromium } from "./support/browser";
import { buildFakeCamera, hasFfmpeg } from "./support/fake-camera";
import { joinAsListener } from "./support/listener";
import type { RunningServer } from "./support/server-process";
const canRun = canRunBrowserTests(hasChromium && (await hasFfmpeg()));
const LISTENERS = 3;

interface SessionDetailBody {
  id: string;
  status: string;
  listeners: Array<{ id: string; name: string; readings: number }>;
  markers: Array<{ label: string; tMs: number }>;
}

describe.skipIf(!canRun)("live session in Chromium with a fake camera", () => {
  let app: AppUnderTest | undefined;
  let server: RunningServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    app = await startApp("e2e", async (work) => {
      const fakeCamera = await buildFakeCamera(work);
      return ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", `--use-file-for-fake-video-capture=${fakeCamera}`];
    });
    ({ server, browser } = app);
  }, 300_000);

  afterAll(async () => {
    await app?.close();
  }, 60_000);

  it("shows three listeners with emotions on the dashboard and stores their readings", async () => {
    const { url } = server!;
    const speaker = await browser!.newContext({ viewport: { width: 1360, height: 1000 } });
    const dashboard = await speaker.newPage();
    dashboard.on("pageerror", (error) => console.error("[dashboard] page error:", error.message));

    await dashboard.goto(`${url}/`);
    await dashboard.getByTestId("session-title").fill("Quarterly review (e2e)");
    await dashboard.getByTestId("create-session").click();
    const joinUrl = await dashboard.getByTestId("join-link").inputValue();
    expect(joinUrl).toMatch(/\/join\/[A-Z0-9]+$/);
    await dashboard.getByTestId("open-dashboard").click();
    await dashboard.waitForURL(/\/dashboard\/[^/#]+#token=/);
    const match = /\/dashboard\/([^/#]+)#token=(.+)$/.exec(dashboard.url());
    const [sessionId, token] = [decodeURIComponent(match![1]!), decodeURIComponent(match![2]!)];
    await dashboard.getByTestId("listener-count").waitFor();
    const goLive = dashboard.getByTestId("start-session");
    if (await goLive.isVisible()) await goLive.click();

    const listeners = [];
    for (let i = 1; i <= LISTENERS; i++) listeners.push(await joinAsListener(browser!, joinUrl, `Listener ${i}`, i === 1));

    // Every listener sees its own reading first (acked by the server) ...
    for (const { page } of listeners) {
      await page.waitForSelector('[data-testid="self-reading"]:not([data-emotion=""])', { timeout: 90_000 });
    }
    // ... then the dashboard shows three tiles, each with a current emotion.
    await dashboard.waitForFunction(
      (n) => {
        const tiles = [...document.querySelectorAll('[data-testid="listener-tile"]')];
        return tiles.length === n && tiles.every((t) => t.getAttribute("data-emotion"));
      },
      LISTENERS,
      { timeout: 60_000, polling: 250 },
    );
    expect(await dashboard.getByTestId("listener-count").textContent()).toBe(String(LISTENERS));
    const emotions = await dashboard.locator('[data-testid="listener-tile"]').evaluateAll((tiles) => tiles.map((t) => t.getAttribute("data-emotion")));
    expect(emotions.every((e) => ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"].includes(e ?? ""))).toBe(true);

    // The room mood headline names the emotion most tiles show.
    const counts = new Map<string, number>();
    for (const e of emotions) counts.set(e!, (counts.get(e!) ?? 0) + 1);
    const top = Math.max(...counts.values());
    const headline = (await dashboard.getByTestId("room-mood").textContent())!.toLowerCase();
    expect([...counts].filter(([, n]) => n === top).some(([e]) => headline.includes(e))).toBe(true);

    // An ack means stored: whatever each listener has seen acked is already counted by the API.
    const detailOf = async () => {
      const response = await fetch(`${url}/api/sessions/${encodeURIComponent(sessionId)}`, { headers: { Authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      return (await response.json()) as SessionDetailBody;
    };
    const acked = await Promise.all(listeners.map(({ page }) => page.evaluate(() => window.__emotionListener!.stats.acked)));
    const detail = await detailOf();
    expect(detail.listeners).toHaveLength(LISTENERS);
    for (let i = 0; i < LISTENERS; i++) {
      const stored = detail.listeners.find((l) => l.name === `Listener ${i + 1}`)!.readings;
      expect(acked[i]).toBeGreaterThan(0);
      expect(stored).toBeGreaterThanOrEqual(acked[i]!);
    }

    // A marker is stored and drawn on the timeline; a few mood snapshots accumulate before the screenshots.
    await dashboard.getByTestId("marker-label").fill("Slide 2");
    await dashboard.getByTestId("add-marker").click();
    await expect.poll(async () => (await detailOf()).markers.map((m) => m.label), { timeout: 10_000 }).toEqual(["Slide 2"]);
    await dashboard.waitForFunction(() => Number(document.querySelector('[data-testid="timeline"]')?.getAttribute("data-markers")) === 1, null, {
      timeout: 20_000,
      polling: 250,
    });
    await dashboard.waitForFunction(() => Number(document.querySelector('[data-testid="timeline"]')?.getAttribute("data-points")) >= 6, null, {
      timeout: 30_000,
      polling: 250,
    });
    await dashboard.screenshot({ path: join(artifacts, "dashboard.png"), fullPage: true });
    // A reload starts from the stored timeline, not empty: live snapshots alone add one point a second.
    await dashboard.reload();
    await dashboard.waitForFunction(() => Number(document.querySelector('[data-testid="timeline"]')?.getAttribute("data-points")) >= 10, null, {
      timeout: 5000,
      polling: 100,
    });
    const listenerPage = listeners[0]!.page;
    await listenerPage.waitForSelector('[data-testid="self-reading"]:not([data-emotion=""])', { timeout: 30_000 });
    await listenerPage.screenshot({ path: join(artifacts, "listener.png"), fullPage: true });

    // Browser detection speed: the other listeners leave, then one page runs grab + detect + crop back to back.
    for (const { context } of listeners.slice(1)) await context.close();
    const bench = await listenerPage.evaluate(() => window.__emotionListener!.benchmark(5000));
    console.log(`browser detection: ${bench.fps.toFixed(1)} frames/s (${bench.frames} frames in 5 s, mode ${bench.mode}, headless Chromium)`);
    expect(bench.mode).toBe("crop");
    expect(bench.frames).toBeGreaterThan(0);

    await listeners[0]!.context.close();
    await speaker.close();
  }, 300_000);
});
