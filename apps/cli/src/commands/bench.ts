import { availableParallelism } from "node:os";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import type { RawImage, Vision } from "@emotion/vision";
import { loadVision } from "@emotion/vision/node";
import sharp from "sharp";
import { z } from "zod";
import { defineCommand } from "../args";
import { formatTable, printJson, startProgress, type Progress } from "../output";

const require = createRequire(import.meta.url);

const Options = z.object({
  json: z.boolean().default(false),
  seconds: z.coerce.number({ error: "must be a number" }).min(0.1, { error: "must be at least 0.1" }).max(120, { error: "must be at most 120" }).default(3),
});

interface Timing {
  calls: number;
  elapsedS: number;
  latenciesMs: number[];
}

/** Calls fn back to back for `seconds` (after a short warm-up) and records each call's latency. */
async function measure(fn: () => Promise<unknown>, seconds: number, onTick: () => void): Promise<Timing> {
  for (let i = 0; i < 5; i++) await fn();
  const latenciesMs: number[] = [];
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    const t0 = performance.now();
    await fn();
    now = performance.now();
    latenciesMs.push(now - t0);
    if (latenciesMs.length % 64 === 0) onTick();
  }
  return { calls: latenciesMs.length, elapsedS: (now - start) / 1000, latenciesMs };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

const round = (v: number, digits = 1) => Number(v.toFixed(digits));

/** A 640x480 RGB frame: the face-api sample photo, letterboxed. */
async function benchFrame(): Promise<RawImage> {
  const photo = require.resolve("@vladmandic/face-api/demo/sample1.jpg");
  const { data, info } = await sharp(photo).resize(640, 480, { fit: "contain", background: "#000" }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

async function classifierFigures(vision: Vision, crops: Uint8Array[], seconds: number, tick: () => void) {
  const one = [crops[0]!];
  const b1 = await measure(() => vision.classify(one), seconds, tick);
  const b32 = await measure(() => vision.classify(crops), seconds, tick);
  const sorted = [...b1.latenciesMs].sort((a, b) => a - b);
  return {
    batch1: { facesPerSec: round(b1.calls / b1.elapsedS, 0), p50Ms: round(percentile(sorted, 50), 3), p99Ms: round(percentile(sorted, 99), 3) },
    batch32: { facesPerSec: round((b32.calls * crops.length) / b32.elapsedS, 0) },
  };
}

export const bench = defineCommand({
  name: "bench",
  summary: "Benchmark the emotion classifier and the face detector on ONNX Runtime (CPU).",
  positionals: [],
  flags: {
    json: { type: "boolean", description: "print one JSON object as the last line of stdout" },
    seconds: { type: "string", value: "S", description: "duration of each measurement (default 3)" },
  },
  schema: Options,
  async run(o) {
    const frame = await benchFrame();
    const threads = availableParallelism();
    const steps = 5;
    let done = 0;
    const progress: Progress = startProgress("bench", steps * o.seconds, " s");
    const tick = () => progress.update(done * o.seconds, {});
    const step = <T>(p: Promise<T>) => p.then((v) => (done++, tick(), v));

    const single = await loadVision({ threads: 1 });
    let result;
    try {
      const faces = await single.detectFaces(frame);
      const face = faces[0] ? single.cropFace(frame, faces[0]).pixels : new Uint8Array(single.card.input.size ** 2).fill(128);
      const crops = Array.from({ length: 32 }, () => face);
      const oneThread = await step(classifierFigures(single, crops, o.seconds, tick));
      const det = await step(measure(() => single.detectFaces(frame), o.seconds, tick));
      await single.release();
      const all = await loadVision({ threads });
      try {
        const allThreads = await step(classifierFigures(all, crops, o.seconds, tick));
        result = {
          classifier: { ...oneThread, allThreads: { threads, ...allThreads } },
          detector: { framesPerSec: round(det.calls / det.elapsedS, 0), frame: "640x480", facesFound: faces.length },
          threads: { oneThread: 1, allThreads: threads },
        };
      } finally {
        await all.release();
      }
    } finally {
      progress.stop();
      await single.release().catch(() => {});
    }
    if (o.json) return printJson(result);
    const c = result.classifier;
    process.stdout.write(formatTable(["measurement", "1 thread", `${threads} threads`], [
      ["classifier faces/s, batch 1", c.batch1.facesPerSec, c.allThreads.batch1.facesPerSec],
      ["classifier faces/s, batch 32", c.batch32.facesPerSec, c.allThreads.batch32.facesPerSec],
      ["classifier p50 ms, batch 1", c.batch1.p50Ms, c.allThreads.batch1.p50Ms],
      ["classifier p99 ms, batch 1", c.batch1.p99Ms, c.allThreads.batch1.p99Ms],
      ["detector frames/s, 640x480", result.detector.framesPerSec, "-"],
    ]));
  },
});
