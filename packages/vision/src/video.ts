import { spawn } from "node:child_process";
import { AppError } from "@emotion/protocol";
import type { RawImage } from "@emotion/vision";
import { resolveFfmpeg } from "./ffmpeg";

export interface VideoInfo {
  /** null when the container does not say (e.g. a live stream). */
  durationS: number | null;
  /** Display size, after any rotation metadata. */
  width: number;
  height: number;
}

export interface ReadFramesOptions {
  /** Frames per second to sample (default 2). */
  fps?: number;
  /** Frames wider than this are scaled down, keeping the aspect ratio (default 640). */
  maxWidth?: number;
  /** ffmpeg binary (default: resolveFfmpeg()). */
  ffmpegPath?: string;
  signal?: AbortSignal;
}

export interface VideoFrame {
  /** Presentation time of the sampled frame in ms from the start. */
  tMs: number;
  image: RawImage;
}

/**
 * A video that cannot be read: `message` is a plain sentence people may see; `detail` names the file
 * and carries ffmpeg's own words, for the log only (server paths and tool output never reach users).
 */
export class VideoError extends AppError {
  readonly detail: string;
  constructor(code: ConstructorParameters<typeof AppError>[0], message: string, detail: string) {
    super(code, message);
    this.detail = detail;
  }
}

function runFfmpeg(ffmpeg: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpeg, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", (e) => reject(new VideoError("INTERNAL", "the video decoder could not be started", `cannot run ffmpeg (${ffmpeg}): ${e.message}`)));
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

/** Parses the banner of `ffmpeg -i` (stderr) into duration and display size of the first video stream. */
export function parseProbe(banner: string): VideoInfo | null {
  const stream = /Stream #\d+:\d+.*?: Video: .*?, (\d{2,5})x(\d{2,5})[\s,[]/.exec(banner);
  if (!stream) return null;
  let width = Number(stream[1]);
  let height = Number(stream[2]);
  const rotation = /rotate\s*:\s*(-?\d+)/.exec(banner)?.[1] ?? /rotation of (-?[\d.]+) degrees/.exec(banner)?.[1];
  if (rotation && Math.abs(Number(rotation)) % 180 === 90) [width, height] = [height, width];
  const d = /Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)/.exec(banner);
  const durationS = d ? Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]) : null;
  return { durationS, width, height };
}

/** Duration and size of a video, from `ffmpeg -i`. Throws VideoError UNSUPPORTED_MEDIA_TYPE when it has no video stream. */
export async function probeVideo(path: string, ffmpegPath = resolveFfmpeg()): Promise<VideoInfo> {
  const { stderr } = await runFfmpeg(ffmpegPath, ["-hide_banner", "-nostdin", "-i", path]);
  const info = parseProbe(stderr);
  if (!info) {
    const reason = stderr.trim().split("\n").pop() ?? "no output";
    throw new VideoError("UNSUPPORTED_MEDIA_TYPE", "the file has no video stream that can be read", `${path} has no video stream ffmpeg can read (${reason})`);
  }
  return info;
}

/** Output size for a source size: at most maxWidth wide, aspect kept, both sides even (yuv-friendly). */
export function scaledSize(width: number, height: number, maxWidth: number): { width: number; height: number } {
  const w = Math.min(width, maxWidth);
  const even = (v: number) => Math.max(2, 2 * Math.floor(v / 2));
  return { width: even(w), height: even((height * w) / width) };
}

/**
 * Decodes a video with ffmpeg into RGB frames sampled at `fps`, as an async iterator.
 * Breaking out of the loop (or aborting) stops ffmpeg; aborting throws the signal's reason (an
 * AbortError), a failed decode throws VideoError CORRUPT_IMAGE.
 */
export async function* readFrames(path: string, options: ReadFramesOptions = {}): AsyncGenerator<VideoFrame> {
  const fps = options.fps ?? 2;
  const ffmpeg = options.ffmpegPath ?? resolveFfmpeg();
  const info = await probeVideo(path, ffmpeg);
  const { width, height } = scaledSize(info.width, info.height, options.maxWidth ?? 640);
  const frameBytes = width * height * 3;
  const args = [
    "-hide_banner",
    "-nostdin",
    "-loglevel",
    "error",
    "-i",
    path,
    "-an",
    "-sn",
    "-vf",
    `fps=${fps},scale=${width}:${height}:flags=bilinear`,
    "-f",
    "rawvideo",
    "-pix_fmt",
    "rgb24",
    "pipe:1",
  ];
  const child = spawn(ffmpeg, args, { stdio: ["ignore", "pipe", "pipe"], signal: options.signal });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr = (stderr + s).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  child.on("error", () => {}); // surfaced through the exit code / abort below

  let frame = Buffer.allocUnsafe(frameBytes);
  let filled = 0;
  let index = 0;
  let finished = false;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      let offset = 0;
      while (offset < chunk.length) {
        const n = Math.min(frameBytes - filled, chunk.length - offset);
        chunk.copy(frame, filled, offset, offset + n);
        filled += n;
        offset += n;
        if (filled === frameBytes) {
          const image: RawImage = { width, height, channels: 3, data: new Uint8Array(frame.buffer, frame.byteOffset, frameBytes) };
          yield { tMs: Math.round((index * 1000) / fps), image };
          index++;
          frame = Buffer.allocUnsafe(frameBytes); // the consumer may keep the previous frame
          filled = 0;
        }
      }
    }
    const code = await exited;
    finished = true;
    options.signal?.throwIfAborted();
    if (code !== 0)
      throw new VideoError("CORRUPT_IMAGE", "the recording could not be decoded", `ffmpeg could not decode ${path}: ${stderr.trim() || `exit code ${code}`}`);
  } finally {
    if (!finished) child.kill("SIGKILL");
  }
}
