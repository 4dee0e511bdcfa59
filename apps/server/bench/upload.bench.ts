// Upload analysis of a long recording of many short-lived faces: three faces jumping to new places
// every 0.5 s (the worst case for tracking and storage), through the server's upload job with an
// embedded PGlite in a temporary DATA_DIR. Reports tracks, stored rows, RSS peak, duration, and the
// latency of a live-path write (one reading every 200 ms into another session) while it runs.
// Standalone: `npx tsx bench/upload.bench.ts [seconds]` (default 3600).
import { createReadStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Writable } from "node:stream";
import { createDb } from "@emotion/db";
import { makeJumpingFacesVideo } from "@emotion/vision/testing";
import { buildApp } from "../src/app";
import { testVision } from "../src/test/fixtures";
import { receiveRecording } from "../src/uploads/upload.receive";

const MB = 1024 * 1024;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;

export async function benchUploadJumpingFaces(seconds = 3600) {
  const work = mkdtempSync(join(tmpdir(), "upload-bench-"));
  try {
    const madeAt = performance.now();
    const video = await makeJumpingFacesVideo(work, { seconds });
    const madeS = (performance.now() - madeAt) / 1000;
    const dataDir = join(work, "data");
    const db = await createDb({ dataDir: join(dataDir, "pglite") });
    let analysed: { tracks?: number; faces?: number; frames?: number; rows?: number } = {};
    const logs = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split("\n").filter(Boolean)) {
          const entry = JSON.parse(line) as typeof analysed & { msg?: string };
          if (entry.msg === "upload analysed") analysed = entry;
        }
        done();
      },
    });
    const app = await buildApp({ db, vision: await testVision(), logger: { level: "info", stream: logs }, DATA_DIR: dataDir, MAX_VIDEO_BYTES: 4 * 1024 * MB });
    // a live listener in another session, written to while the upload is analysed
    const live = (await db.createSession({ code: "BENCH1", title: "live", speakerTokenHash: "-" }))!;
    const listener = await db.joinParticipant({ sessionId: live.id, name: "L", tokenHash: "-" });
    const session = (await db.createSession({ code: "BENCH2", title: "recorded", speakerTokenHash: "-" }))!;
    // the job itself, without the HTTP transfer (which holds the whole file in memory under inject):
    // the recording stored in the database as the upload route stores it, then claimed by the app's jobs
    const bytes = statSync(video).size;
    const leaseMs = app.config.UPLOAD_LEASE_MS;
    const admission = await db.admitUpload({ sessionId: session.id, fileName: "jumping.mp4", bytes, quotaBytes: Number.MAX_SAFE_INTEGER, leaseMs });
    if (!("upload" in admission)) throw new Error("no room for the recording");
    const upload = admission.upload;
    const storedAt = performance.now();
    await receiveRecording(db, { id: upload.id, leaseMs }, createReadStream(video));
    const storeS = (performance.now() - storedAt) / 1000;
    await db.markUploadReceived(upload.id, bytes, Number.MAX_SAFE_INTEGER);
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 200);
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const writes: number[] = [];
    let t = 0;
    const writer = setInterval(() => {
      const started = performance.now();
      t += 200;
      void db
        .insertReadings([
          {
            sessionId: live.id,
            participantId: listener.id,
            capturedAt: Date.now(),
            serverAt: Date.now(),
            tMs: t,
            quality: "ok",
            dominant: "neutral",
            probabilities: null,
          },
        ])
        .then(() => writes.push(performance.now() - started));
    }, 200);
    const startedAt = performance.now();
    await app.uploads.poll();
    let row = await db.getUpload(upload.id);
    while (row && (row.status === "queued" || row.status === "processing")) {
      await new Promise((r) => setTimeout(r, 500));
      row = await db.getUpload(upload.id);
    }
    const elapsedS = (performance.now() - startedAt) / 1000;
    clearInterval(sampler);
    clearInterval(writer);
    loop.disable();
    const rows = await db.countReadings(session.id);
    const sorted = writes.sort((a, b) => a - b);
    await app.close();
    await db.close();
    return {
      videoS: seconds,
      status: row?.status,
      error: row?.error ?? null,
      frames: analysed.frames,
      tracks: analysed.tracks,
      faces: analysed.faces,
      storedRows: rows,
      sightingsUpperBound: (analysed.frames ?? 0) * 3,
      rssBeforeMB: Math.round(rssBefore / MB),
      rssPeakMB: Math.round(rssPeak / MB),
      elapsedS: round(elapsedS),
      liveWriteMs: { p50: round(percentile(sorted, 0.5)), p99: round(percentile(sorted, 0.99)), max: round(sorted.at(-1) ?? 0), n: sorted.length },
      eventLoopDelayMs: { p99: round(loop.percentile(99) / 1e6), max: round(loop.max / 1e6) },
      videoMadeS: round(madeS),
      videoMB: round(bytes / MB),
      storeInDbS: round(storeS, 2),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seconds = Number(process.argv[2] ?? 3600);
  const result = await benchUploadJumpingFaces(seconds);
  console.log(`upload analysis, ${seconds} s of three faces jumping every 0.5 s:`, result);
  console.log(JSON.stringify(result));
  process.exit(0);
}
