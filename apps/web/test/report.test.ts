import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { EXPRESSION_CHANGE_S, makeExpressionChangeVideo, makeJumpingFacesVideo, makeTwoFaceVideo } from "@emotion/vision/testing";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifacts, startApp, type AppUnderTest } from "./support/app";
import { canRunBrowserTests, hasChromium } from "./support/browser";
import { hasFfmpeg } from "./support/fake-camera";
import type { RunningServer } from "./support/server-process";
const canRun = canRunBrowserTests(hasChromium && (await hasFfmpeg()));

interface Created {
  id: string;
  code: string;
  speakerToken: string;
}

/** Clicks a download button and answers the saved file's name and bytes. */
async function download(page: Page, testId: string): Promise<{ name: string; body: Buffer }> {
  const [file] = await Promise.all([page.waitForEvent("download", { timeout: 30_000 }), page.getByTestId(testId).click()]);
  const path = await file.path();
  return { name: file.suggestedFilename(), body: await readFile(path) };
}

describe.skipIf(!canRun)("an uploaded recording in Chromium: upload page, analysis progress, report", () => {
  let app: AppUnderTest | undefined;
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let video = "";
  let shiftVideo = "";

  beforeAll(async () => {
    app = await startApp("report-e2e", async (work) => {
      video = await makeTwoFaceVideo(work);
      shiftVideo = await makeExpressionChangeVideo(work);
      return [];
    });
    ({ server, browser } = app);
  }, 300_000);

  afterAll(async () => {
    await app?.close();
  }, 60_000);

  it("uploads a two-face video through the upload page and reads its report", async () => {
    const { url } = server!;
    const response = await fetch(`${url}/api/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ title: "Recorded talk (e2e)" }),
    });
    expect(response.status).toBe(201);
    const session = (await response.json()) as Created;

    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    // This browser "created" the session: its speaker key and the recent list are in localStorage.
    await page.goto(`${url}/`);
    await page.evaluate((s) => {
      localStorage.setItem(`emotion:speaker:${s.id}`, s.speakerToken);
      localStorage.setItem("emotion:recent-sessions", JSON.stringify([{ id: s.id, title: "Recorded talk (e2e)", code: s.code, createdAt: Date.now() }]));
    }, session);
    await page.goto(`${url}/upload?session=${encodeURIComponent(session.id)}`);
    expect(await page.getByTestId("upload-existing-session").isChecked()).toBe(true);

    // A file that is not a video gets the server's refusal in plain words.
    await page
      .getByTestId("upload-file")
      .setInputFiles({ name: "notes.mp4", mimeType: "video/mp4", buffer: Buffer.from("these are not the frames you are looking for") });
    await page.getByTestId("upload-start").click();
    await expect.poll(() => page.getByTestId("upload-error").textContent(), { timeout: 15_000 }).toMatch(/not a video/);

    await page.getByTestId("upload-file").setInputFiles(video);
    await page.getByTestId("upload-start").click();
    await page.getByTestId("analysis").waitFor({ timeout: 30_000 });
    await page.waitForSelector('[data-testid="analysis"][data-status="done"]', { timeout: 120_000 });
    expect(await page.getByTestId("analysis-progress").getAttribute("data-value")).toBe("100");
    expect(await page.getByTestId("analysis-status").textContent()).toContain("2 faces");
    await page.waitForTimeout(500); // the bar's width transition
    await page.screenshot({ path: join(artifacts, "upload.png"), fullPage: true });

    await page.getByTestId("open-report").click();
    await page.waitForURL(/\/report\//);
    await expect.poll(() => page.getByTestId("report-title").textContent(), { timeout: 20_000 }).toBe("Recorded talk (e2e)");
    expect(await page.getByTestId("report-listener-count").textContent()).toBe("2");
    // The summary says something about the room: it names an emotion, not only that there was a report.
    const summary = ((await page.getByTestId("report-summary").textContent()) ?? "").toLowerCase();
    expect(summary).toMatch(/angry|disgust|fear|happy|sad|surpris|neutral/);

    // The room's stacked areas and every listener's small multiple are drawn.
    await page.locator('[data-testid="room-chart"] .recharts-area-area').first().waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-testid="room-chart"] .recharts-area-area').count()).toBeGreaterThan(0);
    const multiples = page.getByTestId("listener-multiple");
    expect(await multiples.count()).toBe(2);
    expect(await multiples.locator(".multiple-name").allTextContents()).toEqual(["Face 1", "Face 2"]);
    expect(await page.locator('[data-testid="listener-multiple"] .recharts-area-area').count()).toBeGreaterThan(0);
    await multiples.first().click();
    await page.getByTestId("listener-expanded").locator(".recharts-area-area").first().waitFor({ timeout: 10_000 });

    // Exports, fetched with the bearer token and saved through a Blob URL.
    const csv = await download(page, "download-csv");
    expect(csv.name).toMatch(/\.csv$/);
    const lines = csv.body.toString("utf8").trim().split("\n");
    expect(lines[0]).toBe("participant,t_ms,angry,disgust,fear,happy,sad,surprise,neutral,dominant,quality");
    expect(lines.some((l) => l.startsWith("Face 2,"))).toBe(true);
    // every stored reading is exported, one row each
    const detail = (await (await fetch(`${url}/api/sessions/${session.id}`, { headers: { authorization: `Bearer ${session.speakerToken}` } })).json()) as {
      listeners: Array<{ readings: number }>;
    };
    expect(lines.length - 1).toBe(detail.listeners.reduce((n, l) => n + l.readings, 0));
    const pdf = await download(page, "download-pdf");
    expect(pdf.name).toMatch(/\.pdf$/);
    expect(pdf.body.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    const json = JSON.parse((await download(page, "download-json")).body.toString("utf8")) as { listenerCount: number };
    expect(json.listenerCount).toBe(2);

    await page.waitForTimeout(500);
    await page.screenshot({ path: join(artifacts, "report.png"), fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  }, 240_000);

  it("finds the key moment of a recording whose face turns from sad to happy, and jumps the charts to it", async () => {
    const { url } = server!;
    const created = await fetch(`${url}/api/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ title: "Expression change (e2e)" }),
    });
    const session = (await created.json()) as Created;
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${url}/`);
    await page.evaluate((s) => localStorage.setItem(`emotion:speaker:${s.id}`, s.speakerToken), session);
    await page.goto(`${url}/upload?session=${encodeURIComponent(session.id)}`);
    await page.getByTestId("upload-file").setInputFiles(shiftVideo);
    await page.getByTestId("upload-start").click();
    await page.waitForSelector('[data-testid="analysis"][data-status="done"]', { timeout: 120_000 });
    expect(await page.getByTestId("analysis-status").textContent()).toContain("1 face");
    await page.getByTestId("open-report").click();
    await page.waitForURL(/\/report\//);
    // the face is sad for 10 s, then smiles: happiness rises by tens of points, far above MIN_SHIFT_POINTS
    const moments = page.getByTestId("key-moments").locator("li");
    await moments.first().waitFor({ timeout: 20_000 });
    const texts = await moments.allTextContents();
    const rise = texts.find((t) => /Happiness rose from \d+% to \d+% \(\+\d+(\.\d)? pts\)/.test(t));
    expect(rise, texts.join("\n")).toBeDefined();
    expect(Number(/\(\+([\d.]+) pts\)/.exec(rise!)?.[1])).toBeGreaterThanOrEqual(40);
    // the upload starts a few seconds after the session: the moment is at the change, counted from the session's start
    const report = (await (
      await fetch(`${url}/api/sessions/${session.id}/report`, { headers: { authorization: `Bearer ${session.speakerToken}` } })
    ).json()) as {
      keyMoments: Array<{ signal: string; direction: string; tMs: number }>;
    };
    const happy = report.keyMoments.find((m) => m.signal === "happy" && m.direction === "rise");
    expect(happy?.tMs).toBeGreaterThanOrEqual((EXPRESSION_CHANGE_S - 5) * 1000);
    await page.getByTestId("key-moment-jump").first().click();
    await page.getByTestId("focus-bar").waitFor();
    expect(await page.getByTestId("focus-bar").textContent()).toMatch(/around the moment at \d+:\d\d/);
    await page.screenshot({ path: join(artifacts, "report-key-moment.png"), fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  }, 240_000);

  it("cancels an analysis from the upload page: it stops, and nothing of the recording is stored", async () => {
    const { url } = server!;
    const created = await fetch(`${url}/api/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ title: "Cancelled upload (e2e)" }),
    });
    const session = (await created.json()) as Created;
    // five minutes of faces: long enough to be cancelled while it runs
    const long = await makeJumpingFacesVideo(app!.work, { seconds: 300, seed: 3 });
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${url}/`);
    await page.evaluate((s) => localStorage.setItem(`emotion:speaker:${s.id}`, s.speakerToken), session);
    await page.goto(`${url}/upload?session=${encodeURIComponent(session.id)}`);
    await page.getByTestId("upload-file").setInputFiles(long);
    await page.getByTestId("upload-start").click();
    await page.waitForSelector('[data-testid="analysis"][data-status="processing"]', { timeout: 60_000 });
    await page.getByTestId("analysis-cancel").click();
    await page.waitForSelector('[data-testid="analysis"][data-status="cancelled"]', { timeout: 30_000 });
    expect(Number(await page.getByTestId("analysis-progress").getAttribute("data-value"))).toBeLessThan(100);
    const detail = (await (await fetch(`${url}/api/sessions/${session.id}`, { headers: { authorization: `Bearer ${session.speakerToken}` } })).json()) as {
      listeners: unknown[];
    };
    expect(detail.listeners).toEqual([]);
    await page.screenshot({ path: join(artifacts, "upload-cancelled.png"), fullPage: true });
    await context.close();
  }, 180_000);
});
