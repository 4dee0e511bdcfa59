// `pnpm bench` (server part): image API, recording analysis, temporal filter and report benchmarks. Prints what it measured.
import { benchApi } from "./api.bench";
import { benchTemporal } from "./temporal.bench";
import { benchUploadJumpingFaces } from "./upload.bench";
import { benchReport } from "./report.bench";
import { benchVideo } from "./video.bench";

const only = process.argv.slice(2);
const want = (name: string) => only.length === 0 || only.includes(name);
const dbUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;
const results: Record<string, unknown> = {};

if (want("api")) {
  results.api = await benchApi();
  console.log("image API (640x480 JPEG, one face):", results.api);
}
if (want("video")) {
  results.video = await benchVideo();
  console.log("recording analysis (720p, 2 sampled frames/s):", results.video);
}
if (want("upload")) {
  // BENCH_UPLOAD_SECONDS=3600 for the hour of the README (about 7 minutes here).
  const seconds = Number(process.env.BENCH_UPLOAD_SECONDS ?? 600);
  results.upload = await benchUploadJumpingFaces(seconds);
  console.log(`upload analysis of ${seconds} s, three faces jumping every 0.5 s:`, results.upload);
}
if (want("temporal")) {
  results.temporal = await benchTemporal();
  console.log("temporal filter, CPU per listener reading:", results.temporal);
}
if (want("report")) {
  if (!dbUrl) console.log("report: skipped (set BENCH_DATABASE_URL to a Postgres to seed 4.3 M readings)");
  else {
    results.report = await benchReport(dbUrl);
    console.log("report of 1 h x 300 listeners:", results.report);
  }
}
console.log(JSON.stringify(results));
process.exit(0);
