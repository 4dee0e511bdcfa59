import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadVision } from "./node";
import { analyzeVideo } from "./video-analysis";
import { resolveFfmpeg } from "./ffmpeg";
import type { Vision } from "./vision";
import { makeTwoFaceVideo } from "../test/video-fixture";

let vision: Vision;
let dir: string;
let video: string;
beforeAll(async () => {
  vision = await loadVision({ threads: 1 });
  dir = mkdtempSync(join(tmpdir(), "video-analysis-"));
  video = await makeTwoFaceVideo(dir);
}, 60_000);
afterAll(() => vision?.release());

describe("analyzeVideo", () => {
  it("tracks two faces with stable identities while one leaves and returns", async () => {
    const progress: number[] = [];
    const result = await analyzeVideo(vision, video, { fps: 2, onProgress: (p) => progress.push(p.progress) });
    expect(result.frames).toBe(16);
    expect(result.durationS).toBeCloseTo(8, 1);
    expect(result.faces.map((f) => f.name)).toEqual(["Face 1", "Face 2"]);
    const [a, b] = result.faces;
    // A: on screen in all 16 samples (0.0 .. 7.5 s)
    expect(a!.framesSeen).toBe(16);
    expect(a!.readings).toHaveLength(16);
    // B: seen at 1.0-3.0 s (5 samples) and 5.0-6.5 s (4); one reading per sample from 1.0 s on, no_face while away
    expect(b!.framesSeen).toBe(9);
    expect(b!.readings).toHaveLength(14);
    expect(b!.readings[0]!.tMs).toBe(1000);
    expect(b!.readings.filter((r) => r.quality === "no_face").map((r) => r.tMs)).toEqual([3500, 4000, 4500, 7000, 7500]);
    expect(a!.readings.every((r) => r.quality !== "no_face")).toBe(true);
    expect(a!.dominant).not.toBeNull();
    expect(progress.at(-1)).toBeCloseTo(1, 2);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
  }, 60_000);

  it("gives clear errors for files that are not videos or have no faces", async () => {
    const text = join(dir, "notes.mp4");
    writeFileSync(text, "this is not a video");
    await expect(analyzeVideo(vision, text)).rejects.toMatchObject({ code: "UNSUPPORTED_MEDIA_TYPE" });
    await expect(analyzeVideo(vision, join(dir, "missing.mp4"))).rejects.toBeTruthy();
    const empty = join(dir, "empty.mp4");
    execFileSync(resolveFfmpeg(), ["-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10:duration=2", "-pix_fmt", "yuv420p", empty]);
    await expect(analyzeVideo(vision, empty)).rejects.toMatchObject({ code: "VALIDATION_FAILED", message: "no face was found in the video" });
  });

  it("stops when aborted", async () => {
    const ac = new AbortController();
    const run = analyzeVideo(vision, video, { fps: 2, signal: ac.signal, onProgress: () => ac.abort() });
    await expect(run).rejects.toBeTruthy();
  });
});
