// Image API throughput: POST /api/v1/predict with a 640x480 JPEG holding one face, through real HTTP (autocannon).
import autocannon from "autocannon";
import sharp from "sharp";
import { buildApp } from "../src/app";
import { readSample, testVision } from "../src/test/fixtures";

export async function benchApi(seconds = 10, connections = 8) {
  // one face, 640x480: the right-hand face of sample3, letterboxed
  const jpeg = await sharp(readSample(3)).extract({ left: 900, top: 100, width: 640, height: 480 }).jpeg({ quality: 85 }).toBuffer();
  const vision = await testVision();
  const check = await vision.analyze({
    ...(await sharp(jpeg)
      .raw()
      .toBuffer({ resolveWithObject: true })
      .then(({ data, info }) => ({ width: info.width, height: info.height, channels: 3 as const, data: new Uint8Array(data) }))),
  });
  const app = await buildApp({
    vision,
    logger: false,
    DATABASE_URL: undefined,
    MAX_PREDICTS_PER_MINUTE: 1_000_000,
    DATA_DIR: `/tmp/emotion-bench-${process.pid}`,
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = app.server.address() as { port: number };
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/api/v1/predict`,
    method: "POST",
    headers: { "content-type": "image/jpeg" },
    body: jpeg,
    connections,
    duration: seconds,
  });
  await app.close();
  return {
    faces: check.length,
    jpegBytes: jpeg.length,
    requestsPerSec: Math.round(result.requests.average),
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99 },
    non2xx: result.non2xx,
    errors: result.errors,
  };
}
