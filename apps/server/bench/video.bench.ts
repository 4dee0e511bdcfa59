// Uploaded-recording analysis speed: a 720p video sampled at 2 frames/s, as the upload pipeline does it.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeVideo, resolveFfmpeg } from "@emotion/vision/video";
import { SAMPLE_PATHS, testVision } from "../src/test/fixtures";

/** 60 s of 1280x720 at 25 fps: the six face photographs, 10 s each. */
function make720p(path: string): void {
  const inputs = SAMPLE_PATHS.flatMap((p) => ["-loop", "1", "-t", "10", "-i", p]);
  const scale = "scale=1280:720:force_original_aspect_ratio=decrease,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25";
  const chains = SAMPLE_PATHS.map((_, i) => `[${i}]${scale}[v${i}]`).join(";");
  const concat = `${SAMPLE_PATHS.map((_, i) => `[v${i}]`).join("")}concat=n=${SAMPLE_PATHS.length}:v=1,format=yuv420p`;
  const r = spawnSync(resolveFfmpeg(), [
    "-hide_banner",
    "-loglevel",
    "error",
    "-y",
    ...inputs,
    "-filter_complex",
    `${chains};${concat}`,
    "-c:v",
    "libx264",
    "-preset",
    "veryfast",
    path,
  ]);
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr.toString()}`);
}

export async function benchVideo(fps = 2) {
  const path = join(mkdtempSync(join(tmpdir(), "video-bench-")), "talk-720p.mp4");
  make720p(path);
  const vision = await testVision();
  const started = performance.now();
  const result = await analyzeVideo(vision, path, { fps });
  const elapsedS = (performance.now() - started) / 1000;
  return {
    videoS: result.durationS,
    resolution: "1280x720",
    sampledFps: fps,
    frames: result.frames,
    faces: result.faces.length,
    elapsedS: Math.round(elapsedS * 100) / 100,
    timesRealTime: Math.round((result.durationS / elapsedS) * 10) / 10,
  };
}
