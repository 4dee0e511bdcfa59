import { existsSync, statSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { extname } from "node:path";
import { EMOTIONS, type FacePrediction } from "@emotion/protocol";
import type { RawImage, Vision } from "@emotion/vision";
import { decodeImage, loadVision, sniffImageType } from "@emotion/vision/node";
import { z } from "zod";
import { defineCommand, usageError } from "../args";
import { env } from "../env";
import { formatTable, printJson, resolveUserPath, startProgress } from "../output";
import { writeAnnotated } from "../render/annotate";
import { probeVideo, readFrames } from "@emotion/vision/video";

const VIDEO_EXTENSIONS = new Set([".mp4", ".webm", ".mov", ".mkv", ".avi", ".m4v"]);

const Options = z.object({
  input: z.string({ error: "is required (an image or video file)" }).min(1, { error: "is required" }),
  json: z.boolean().default(false),
  out: z.string().min(1).optional(),
  fps: z.coerce.number({ error: "must be a number" }).positive({ error: "must be > 0" }).max(30, { error: "must be at most 30" }).default(2),
});
type Options = z.infer<typeof Options>;

async function isVideo(path: string): Promise<boolean> {
  if (VIDEO_EXTENSIONS.has(extname(path).toLowerCase())) return true;
  const handle = await open(path, "r");
  const head = Buffer.alloc(16);
  try {
    await handle.read(head, 0, 16, 0);
  } finally {
    await handle.close();
  }
  if (sniffImageType(head)) return false;
  // Unknown by name and magic bytes: a video if ffmpeg finds a video stream with a duration (not a still).
  const info = await probeVideo(path, env.FFMPEG_PATH).catch(() => null);
  return info !== null && (info.durationS ?? 0) > 0;
}

function describeFace(face: FacePrediction, index: number): string {
  const { box, quality } = face;
  const where = `box ${Math.round(box.x)},${Math.round(box.y)} ${Math.round(box.width)}x${Math.round(box.height)}`;
  const q = `sharpness ${quality.sharpness.toFixed(0)}, yaw ${quality.yaw.toFixed(0)}°`;
  const head = `face ${index + 1}: ${where}, score ${face.score.toFixed(2)}, quality ${quality.ok ? "ok" : quality.reason} (${q})`;
  if (!face.probabilities) return `${head}\n  no reading: ${quality.reason}\n`;
  const probs = face.probabilities;
  const rows = EMOTIONS.map((e) => [e === face.dominant ? `${e} *` : e, probs[e].toFixed(3), "█".repeat(Math.round(probs[e] * 30))]);
  return `${head}\n${formatTable(["emotion", "p", ""], rows).trimEnd().replace(/^/gm, "  ")}\n`;
}

function summarise(faces: FacePrediction[]): string {
  if (faces.length === 0) return "no faces";
  return faces.map((f) => (f.dominant && f.probabilities ? `${f.dominant} ${f.probabilities[f.dominant].toFixed(2)}` : `(${f.quality.reason})`)).join(", ");
}

async function predictImage(vision: Vision, path: string, o: Options): Promise<void> {
  const image = await decodeImage(await readFile(path));
  const faces = await vision.analyze(image);
  if (o.out) await writeAnnotated(image, faces, resolveUserPath(o.out));
  if (o.json) return printJson({ faces });
  process.stdout.write(`${path}: ${image.width}x${image.height}, ${faces.length} face${faces.length === 1 ? "" : "s"}\n`);
  faces.forEach((f, i) => process.stdout.write(`\n${describeFace(f, i)}`));
  if (o.out) process.stdout.write(`\nannotated image: ${resolveUserPath(o.out)}\n`);
}

async function predictVideo(vision: Vision, path: string, o: Options): Promise<void> {
  const info = await probeVideo(path, env.FFMPEG_PATH);
  const expected = info.durationS ? Math.max(1, Math.ceil(info.durationS * o.fps)) : 0;
  const progress = startProgress("frames", expected);
  const frames: Array<{ tMs: number; faces: FacePrediction[] }> = [];
  let annotated: { image: RawImage; faces: FacePrediction[] } | null = null;
  try {
    for await (const { tMs, image } of readFrames(path, { fps: o.fps, maxWidth: 640, ffmpegPath: env.FFMPEG_PATH })) {
      const faces = await vision.analyze(image);
      frames.push({ tMs, faces });
      // --out for a video: the first frame with the most faces
      if (o.out && (!annotated || faces.length > annotated.faces.length)) annotated = { image, faces };
      if (frames.length > expected) progress.setTotal(frames.length);
      progress.update(frames.length, { detail: `${(tMs / 1000).toFixed(1)} s, ${faces.length} face(s)` });
    }
  } finally {
    progress.stop();
  }
  if (o.out && annotated) await writeAnnotated(annotated.image, annotated.faces, resolveUserPath(o.out));
  if (o.json) return printJson({ frames });
  process.stdout.write(`${path}: ${info.width}x${info.height}, ${info.durationS?.toFixed(1) ?? "?"} s, ${frames.length} frames at ${o.fps} fps\n`);
  const rows = frames.map((f) => [(f.tMs / 1000).toFixed(2), f.faces.length, summarise(f.faces)]);
  process.stdout.write(formatTable(["t (s)", "faces", "emotions (largest face first)"], rows));
  if (o.out && annotated) process.stdout.write(`annotated frame: ${resolveUserPath(o.out)}\n`);
}

export const predict = defineCommand({
  name: "predict",
  summary: "Detect faces in an image or video and classify their emotions.",
  positionals: [{ name: "input", label: "<image|video>", description: "JPEG, PNG or WebP image, or a video (mp4, webm, mov, mkv, avi, ...)" }],
  flags: {
    json: { type: "boolean", description: "print one JSON object as the last line of stdout" },
    out: { type: "string", value: "FILE.png", description: "write an annotated PNG (for a video: the frame with the most faces)" },
    fps: { type: "string", value: "N", description: "video frames sampled per second (default 2, at most 30)" },
  },
  schema: Options,
  examples: ["pnpm emotion predict photo.jpg --out annotated.png", "pnpm emotion predict talk.mp4 --fps 1 --json"],
  async run(o) {
    const path = resolveUserPath(o.input);
    if (!existsSync(path) || !statSync(path).isFile()) throw usageError(`<image|video>: no file at ${path}`);
    if (o.out && extname(o.out).toLowerCase() !== ".png") throw usageError(`--out: must be a .png file, got '${o.out}'`);
    const video = await isVideo(path);
    const vision = await loadVision();
    try {
      await (video ? predictVideo(vision, path, o) : predictImage(vision, path, o));
    } finally {
      await vision.release();
    }
  },
});
