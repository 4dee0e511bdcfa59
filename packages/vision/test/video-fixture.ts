import { spawn } from "node:child_process";
import { join } from "node:path";
import sharp from "sharp";
import { resolveFfmpeg } from "../src/ffmpeg";
import { samplePhoto } from "./fixtures";

export const VIDEO_FPS = 10;
export const VIDEO_SECONDS = 8;
/** When face B is on screen (seconds): it leaves for 1.5 s and comes back. */
export const B_VISIBLE: Array<[number, number]> = [
  [0.8, 3.3],
  [4.8, 6.8],
];

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
      .removeAlpha()
      .raw()
      .toBuffer();
  const [onlyA, both] = await Promise.all([frame(false), frame(true)]);
  const out = join(dir, "two-faces.mp4");
  await encodeRgbFrames(
    out,
    VIDEO_FPS,
    (function* () {
      for (let i = 0; i < VIDEO_FPS * VIDEO_SECONDS; i++) {
        const t = i / VIDEO_FPS;
        yield B_VISIBLE.some(([from, to]) => t >= from && t < to) ? both : onlyA;
      }
    })(),
  );
  return out;
}

export interface JumpingFacesOptions {
  /** Length of the video (default 20). */
  seconds?: number;
  /** Faces on screen at once, at most 3 (default 3). */
  faces?: number;
  /** Every face moves to another place this often (default 0.5 s). */
  jumpEveryS?: number;
  /** Frame rate of the written video (default 4). */
  fps?: number;
  seed?: number;
  /** File name inside dir (default jumping-faces-<seconds>s.mp4). */
  name?: string;
}

const GRID = { cols: 4, rows: 3, cell: 160, tile: 140 };

/**
 * Writes a 640x480 mp4 in which `faces` real face photographs jump, every `jumpEveryS`, to random
 * distinct cells of a 4x3 grid. Neighbouring cells are further apart than the tracker matches, so
 * every jump ends a sighting: the video makes many short-lived tracks (the worst case for tracking
 * memory and stored rows). Deterministic for a seed.
 */
export async function makeJumpingFacesVideo(dir: string, options: JumpingFacesOptions = {}): Promise<string> {
  const { seconds = 20, faces = 3, jumpEveryS = 0.5, fps = 4, seed = 7 } = options;
  const a = await faceTile(3, { left: 480, top: 250, width: 450, height: 450 });
  const b = await faceTile(1, { left: 720, top: 320, width: 430, height: 430 });
  const c = await sharp(a).flop().toBuffer();
  const tiles = await Promise.all([a, b, c].slice(0, Math.min(3, faces)).map((t) => sharp(t).resize(GRID.tile, GRID.tile).toBuffer()));
  let state = seed >>> 0;
  const random = () => (state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const cells = GRID.cols * GRID.rows;
  const pick = () => {
    const chosen: number[] = [];
    while (chosen.length < tiles.length) {
      const cell = Math.floor(random() * cells);
      if (!chosen.includes(cell)) chosen.push(cell);
    }
    return chosen;
  };
  const frameOf = (chosen: number[]) =>
    sharp({ create: { width: 640, height: 480, channels: 3, background: "#6b7280" } })
      .composite(
        chosen.map((cell, i) => ({
          input: tiles[i]!,
          left: (cell % GRID.cols) * GRID.cell + (GRID.cell - GRID.tile) / 2,
          top: Math.floor(cell / GRID.cols) * GRID.cell + (GRID.cell - GRID.tile) / 2,
        })),
      )
      .removeAlpha()
      .raw()
      .toBuffer();
  const out = join(dir, options.name ?? `jumping-faces-${seconds}s.mp4`);
  const framesPerJump = Math.max(1, Math.round(jumpEveryS * fps));
  await encodeRgbFrames(
    out,
    fps,
    (async function* () {
      let current: Buffer = Buffer.alloc(0);
      for (let i = 0; i < Math.round(seconds * fps); i++) {
        if (i % framesPerJump === 0) current = await frameOf(pick());
        yield current;
      }
    })(),
    ["-g", String(fps * 10)],
  );
  return out;
}

/** makeExpressionChangeVideo: the one face's expression changes at this second, of EXPRESSION_VIDEO_SECONDS. */
export const EXPRESSION_CHANGE_S = 10;
export const EXPRESSION_VIDEO_SECONDS = 20;

/**
 * Writes a 20 s, 640x480 mp4 of one face in one place whose expression changes at 10 s: a sad face (the
 * shipped model reads it as under 5 % happy), then a broadly smiling one (over 90 % happy). The room's
 * happiness rises by far more than MIN_SHIFT_POINTS between the report's 5 s points, so the report has a
 * key moment there whatever the bucket size.
 */
export async function makeExpressionChangeVideo(dir: string): Promise<string> {
  const sad = await faceTile(2, { left: 757, top: 133, width: 450, height: 450 });
  const happy = await faceTile(3, { left: 958, top: 153, width: 450, height: 450 });
  const frame = (tile: Buffer) =>
    sharp({ create: { width: 640, height: 480, channels: 3, background: "#6b7280" } })
      .composite([{ input: tile, left: 220, top: 140 }])
      .removeAlpha()
      .raw()
      .toBuffer();
  const [before, after] = await Promise.all([frame(sad), frame(happy)]);
  const fps = 4;
  const out = join(dir, "expression-change.mp4");
  await encodeRgbFrames(
    out,
    fps,
    (function* () {
      for (let i = 0; i < EXPRESSION_VIDEO_SECONDS * fps; i++) yield i / fps < EXPRESSION_CHANGE_S ? before : after;
    })(),
  );
  return out;
}

/** Encodes 640x480 RGB frames to an H.264 mp4 with ffmpeg, writing them as ffmpeg takes them (back-pressure). */
async function encodeRgbFrames(out: string, fps: number, frames: Iterable<Buffer> | AsyncIterable<Buffer>, extraArgs: string[] = []): Promise<void> {
  const args = ["-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "640x480", "-r", String(fps), "-i", "pipe:0"];
  const ff = spawn(resolveFfmpeg(), [...args, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast", ...extraArgs, out], {
    stdio: ["pipe", "ignore", "pipe"],
  });
  let stderr = "";
  ff.stderr.on("data", (d) => (stderr += d));
  const done = new Promise<void>((resolve, reject) => ff.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg failed: ${stderr}`)))));
  for await (const frame of frames) if (!ff.stdin.write(frame)) await new Promise((r) => ff.stdin.once("drain", r));
  ff.stdin.end();
  await done;
}
