import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadVision } from "./node";
import { analyzeVideo, trackVideo, type FaceReadings } from "./video-analysis";
import { resolveFfmpeg } from "./ffmpeg";
import { VideoError } from "./video";
import type { Vision } from "./vision";
import { makeJumpingFacesVideo, makeTwoFaceVideo } from "../test/video-fixture";

let vision: Vision;
let dir: string;
let video: string;
let jumping: string;
beforeAll(async () => {
  vision = await loadVision({ threads: 1 });
  dir = mkdtempSync(join(tmpdir(), "video-analysis-"));
  [video, jumping] = await Promise.all([makeTwoFaceVideo(dir), makeJumpingFacesVideo(dir, { seconds: 20 })]);
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
    const refused = await analyzeVideo(vision, text).catch((e: unknown) => e);
    // a plain sentence for people; the path and ffmpeg's words only in `detail`, for the log
    expect(refused).toMatchObject({ code: "UNSUPPORTED_MEDIA_TYPE", message: "the file has no video stream that can be read" });
    expect((refused as VideoError).detail).toContain(text);
    const truncated = join(dir, "truncated.mp4");
    writeFileSync(truncated, readFileSync(video).subarray(0, 3000));
    const broken = await analyzeVideo(vision, truncated).catch((e: unknown) => e);
    expect((broken as Error).message).not.toMatch(/\/|ffmpeg|moov|invalid/i);
    expect(broken).toBeInstanceOf(VideoError);
    await expect(analyzeVideo(vision, join(dir, "missing.mp4"))).rejects.toBeTruthy();
    const empty = join(dir, "empty.mp4");
    execFileSync(resolveFfmpeg(), ["-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10:duration=2", "-pix_fmt", "yuv420p", empty]);
    await expect(analyzeVideo(vision, empty)).rejects.toMatchObject({ code: "VALIDATION_FAILED", message: "no face was found in the video" });
  });

  it("stops when aborted, before reading another frame", async () => {
    const ac = new AbortController();
    let analysed = 0;
    const run = analyzeVideo(vision, video, { fps: 2, signal: ac.signal, onProgress: () => (analysed++, ac.abort()) });
    await expect(run).rejects.toMatchObject({ name: "AbortError" });
    // the video has 16 sampled frames; the one in flight when aborted is the last one analysed
    expect(analysed).toBe(1);
  });
});

describe("trackVideo", () => {
  it("streams only what was seen, in bounded batches, for a video of many short-lived faces", async () => {
    const batches: FaceReadings[][] = [];
    const result = await trackVideo(vision, jumping, { fps: 2, batchSize: 20, tracker: { maxTracks: 6 }, onReadings: (b) => void batches.push(b) });
    expect(result.frames).toBe(40);
    const all = batches.flat();
    const stored = all.reduce((n, f) => n + f.readings.length, 0);
    // three faces on screen in every frame: at most 3 sightings per frame, and never a no_face row
    expect(stored).toBe(result.readings);
    expect(stored).toBeLessThanOrEqual(3 * result.frames);
    expect(stored).toBeGreaterThan(2 * result.frames);
    expect(all.every((f) => f.readings.every((r) => r.quality !== "no_face"))).toBe(true);
    // every jump ends a sighting: many faces, each with exactly the readings of the frames it was seen in
    expect(result.faces.length).toBeGreaterThan(6);
    for (const face of result.faces) {
      const times = all.filter((f) => f.faceId === face.id).flatMap((f) => f.readings.map((r) => r.tMs));
      expect(times).toHaveLength(face.framesSeen);
      expect(times).toEqual([...times].sort((x, y) => x - y));
    }
    // a batch is handed over once it reaches batchSize: at most batchSize - 1 + one frame's faces (and a confirmation)
    for (const b of batches) expect(b.reduce((n, f) => n + f.readings.length, 0)).toBeLessThanOrEqual(20 - 1 + 3 * 2);
    expect(batches.length).toBeGreaterThan(3);
  }, 60_000);

  it("waits for the store before reading on", async () => {
    let storing = false;
    let overlapped = false;
    await trackVideo(vision, jumping, {
      fps: 1,
      batchSize: 5,
      onProgress: () => (overlapped ||= storing),
      onReadings: async () => {
        storing = true;
        await new Promise((r) => setTimeout(r, 20));
        storing = false;
      },
    });
    expect(overlapped).toBe(false);
  }, 60_000);
});
