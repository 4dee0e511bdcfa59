import { spawn } from "node:child_process";
import { join } from "node:path";
import sharp from "sharp";
import { resolveFfmpeg } from "../src/ffmpeg";
import { samplePhoto } from "./fixtures";

export const VIDEO_FPS = 10;
export const VIDEO_SECONDS = 8;
/** When face B is on screen (seconds): it leaves for 1.5 s and comes back. */
export const B_VISIBLE: Array<[number, number]> = [[0.8, 3.3], [4.8, 6.8]];

async function faceTile(photo: number, region: { left: number; top: number; width: number; height: number }) {
  return sharp(samplePhoto(photo)).extract(region).resize(200, 200).png().toBuffer();
}

/**
 * Writes an 8 s, 640x480 mp4 built from two real face photographs: face A is on screen all the time,
 * face B enters at 0.8 s, leaves at 3.3 s, returns at 4.8 s and leaves for good at 6.8 s.
 */
export async function makeTwoFaceVideo(dir: string): Promise<string> {
  const a = await faceTile(3, { left: 480, top: 250, width: 450, height: 450 });
  const b = await faceTile(1, { left: 720, top: 320, width: 430, height: 430 });
  const frame = (withB: boolean) =>
    sharp({ create: { width: 640, height: 480, channels: 3, background: "#6b7280" } })
      .composite([{ input: a, left: 40, top: 140 }, ...(withB ? [{ input: b, left: 400, top: 140 }] : [])])
      .removeAlpha().raw().toBuffer();
  const [onlyA, both] = await Promise.all([frame(false), frame(true)]);
  const out = join(dir, "two-faces.mp4");
  const ff = spawn(resolveFfmpeg(), ["-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "640x480", "-r", String(VIDEO_FPS), "-i", "pipe:0",
    "-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast", out], { stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  ff.stderr.on("data", (d) => (stderr += d));
  const done = new Promise<void>((resolve, reject) => ff.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg failed: ${stderr}`)))));
  for (let i = 0; i < VIDEO_FPS * VIDEO_SECONDS; i++) {
    const t = i / VIDEO_FPS;
    const withB = B_VISIBLE.some(([from, to]) => t >= from && t < to);
    if (!ff.stdin.write(withB ? both : onlyA)) await new Promise((r) => ff.stdin.once("drain", r));
  }
  ff.stdin.end();
  await done;
  return out;
}
