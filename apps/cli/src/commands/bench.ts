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
    if (latenciesMs.length % 256 === 0) onTick();
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

async function classifierFigures(vision: Vision, crops: Uint8Array[], timed: (fn: () => Promise<unknown>) => Promise<Timing>) {
  const one = [crops[0]!];
  const b1 = await timed(() => vision.classify(one));
  const b32 = await timed(() => vision.classify(crops));
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
    const progress: Progress = startProgress("bench", 5, " measurements");
    let done = 0;
    const tick = () => progress.update(done);
    const timed = async (fn: () => Promise<unknown>) => {
      const t = await measure(fn, o.seconds, tick);
      progress.update(++done);
      return t;
    };

    try {
      const single = await loadVision({ threads: 1 });
      let faces, crops, oneThread, det;
      try {
        faces = await single.detectFaces(frame);
        const face = faces[0] ? single.cropFace(frame, faces[0]).pixels : new Uint8Array(single.card.input.size ** 2).fill(128);
        crops = Array.from({ length: 32 }, () => face);
        oneThread = await classifierFigures(single, crops, timed);
        det = await timed(() => single.detectFaces(frame));
      } finally {
        await single.release();
      }
      const all = await loadVision({ threads });
      let allThreads;
      try {
        allThreads = await classifierFigures(all, crops, timed);
      } finally {
        await all.release();
      }
      progress.stop();
      const result = {
        classifier: { ...oneThread, allThreads: { threads, ...allThreads } },
        detector: { framesPerSec: round(det.calls / det.elapsedS, 0), frame: "640x480", facesFound: faces.length, threads: 1 },
      };
      if (o.json) return printJson(result);
      const c = result.classifier;
      process.stdout.write(
        formatTable(
          ["measurement", "1 thread", `${threads} threads`],
          [
            ["classifier faces/s, batch 1", c.batch1.facesPerSec, c.allThreads.batch1.facesPerSec],
            ["classifier faces/s, batch 32", c.batch32.facesPerSec, c.allThreads.batch32.facesPerSec],
            ["classifier p50 ms, batch 1", c.batch1.p50Ms, c.allThreads.batch1.p50Ms],
            ["classifier p99 ms, batch 1", c.batch1.p99Ms, c.allThreads.batch1.p99Ms],
            ["detector frames/s, 640x480", result.detector.framesPerSec, "-"],
          ],
        ),
      );
    } finally {
      progress.stop();
    }
  },
});
