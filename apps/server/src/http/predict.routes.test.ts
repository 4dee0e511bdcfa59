import type { FastifyInstance } from "fastify";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@emotion/db";
import { EMOTIONS, ErrorBody, ImagePrediction } from "@emotion/protocol";
import { buildApp } from "../app";
import { facelessPng, readSample, SAMPLE_PATHS, testVision } from "../test/fixtures";

function multipart(field: string, filename: string, type: string, bytes: Buffer) {
  const boundary = "----emotiontest";
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { payload: Buffer.concat([head, bytes, tail]), headers: { "content-type": `multipart/form-data; boundary=${boundary}` } };
}

describe("image API", () => {
  let app: FastifyInstance;
  let db: Db;
  beforeAll(async () => {
    db = await createDb();
    app = await buildApp({ db, vision: await testVision(), logger: false, MAX_UPLOAD_BYTES: 2_000_000, MAX_IMAGE_PIXELS: 8_000_000 });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const errorOf = (body: string) => ErrorBody.parse(JSON.parse(body)).error;

  it.each(SAMPLE_PATHS.map((_, i) => i + 1))("finds faces with probabilities in sample%i.jpg (raw body)", async (n) => {
    const res = await app.inject({ method: "POST", url: "/api/v1/predict", headers: { "content-type": "image/jpeg" }, payload: readSample(n) });
    expect(res.statusCode).toBe(200);
    const { faces } = ImagePrediction.parse(res.json());
    // the people in each photograph, counted by eye (packages/vision/test/photos.ts): no phantom, none missed
    expect(faces).toHaveLength([3, 3, 3, 4, 5, 4][n - 1]!);
    // and most of them are read: a test where every face is refused must fail
    expect(faces.filter((f) => f.probabilities).length).toBeGreaterThanOrEqual(faces.length - 1);
    for (const face of faces) {
      expect(face.box.width).toBeGreaterThan(0);
      if (face.probabilities) {
        const sum = EMOTIONS.reduce((s, e) => s + face.probabilities![e], 0);
        expect(sum).toBeCloseTo(1, 3);
        expect(face.dominant).not.toBeNull();
      } else expect(face.quality.reason).not.toBeNull();
    }
    // most confident first (scores within 0.02 count as equal: nearer the centre first), never merely the largest
    const bands = faces.map((f) => Math.round(f.score / 0.02));
    expect(bands).toEqual([...bands].sort((a, b) => b - a));
    expect(faces[0]!.score).toBe(Math.max(...faces.map((f) => f.score)));
  });

  it("accepts the multipart field image and answers the same as the raw body", async () => {
    const res = await app.inject({ method: "POST", url: "/api/v1/predict", ...multipart("image", "sample2.jpg", "image/jpeg", readSample(2)) });
    expect(res.statusCode).toBe(200);
    const raw = await app.inject({ method: "POST", url: "/api/v1/predict", headers: { "content-type": "image/jpeg" }, payload: readSample(2) });
    expect(res.json()).toEqual(raw.json());
  });

  it("accepts PNG and WebP", async () => {
    for (const [type, bytes] of [
      ["image/png", await sharp(readSample(3)).resize({ width: 800 }).png().toBuffer()],
      ["image/webp", await sharp(readSample(3)).resize({ width: 800 }).webp().toBuffer()],
    ] as const) {
      const res = await app.inject({ method: "POST", url: "/api/v1/predict", headers: { "content-type": type }, payload: bytes });
      expect(res.statusCode, type).toBe(200);
      expect(ImagePrediction.parse(res.json()).faces.length).toBeGreaterThan(0);
    }
  });

  it("answers no faces for a faceless image", async () => {
    const res = await app.inject({ method: "POST", url: "/api/v1/predict", headers: { "content-type": "image/png" }, payload: await facelessPng() });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ faces: [] });
  });

  it("refuses corrupt bytes with 422", async () => {
    const bytes = Buffer.concat([readSample(1).subarray(0, 400), Buffer.alloc(2000, 7)]);
    const res = await app.inject({ method: "POST", url: "/api/v1/predict", headers: { "content-type": "image/jpeg" }, payload: bytes });
    expect(res.statusCode).toBe(422);
    expect(errorOf(res.body).code).toBe("CORRUPT_IMAGE");
  });

  it("refuses a text file with 415, raw or as multipart", async () => {
    const raw = await app.inject({ method: "POST", url: "/api/v1/predict", headers: { "content-type": "text/plain" }, payload: "hello" });
    expect(raw.statusCode).toBe(415);
    expect(errorOf(raw.body).message).toMatch(/image\/jpeg/);
    const part = await app.inject({
      method: "POST",
      url: "/api/v1/predict",
      ...multipart("image", "notes.txt", "text/plain", Buffer.from("just some text\n")),
    });
    expect(part.statusCode).toBe(415);
    expect(errorOf(part.body).code).toBe("UNSUPPORTED_MEDIA_TYPE");
    const pdf = await app.inject({ method: "POST", url: "/api/v1/predict", headers: { "content-type": "application/pdf" }, payload: Buffer.from("%PDF-1.4") });
    expect(pdf.statusCode).toBe(415);
  });

  it("refuses too many bytes with 413 naming the limit", async () => {
    const big = Buffer.concat([readSample(1), Buffer.alloc(2_100_000)]);
    const raw = await app.inject({ method: "POST", url: "/api/v1/predict", headers: { "content-type": "image/jpeg" }, payload: big });
    expect(raw.statusCode).toBe(413);
    expect(errorOf(raw.body)).toMatchObject({ code: "PAYLOAD_TOO_LARGE", message: expect.stringContaining("2000000") });
    const part = await app.inject({ method: "POST", url: "/api/v1/predict", ...multipart("image", "big.jpg", "image/jpeg", big) });
    expect(part.statusCode).toBe(413);
  });

  it("refuses too many pixels with 413 IMAGE_TOO_LARGE", async () => {
    // 4000x4000 of one colour compresses to a few kB but is 16 Mpx.
    const huge = await sharp({ create: { width: 4000, height: 4000, channels: 3, background: "#808080" } })
      .jpeg()
      .toBuffer();
    const res = await app.inject({ method: "POST", url: "/api/v1/predict", headers: { "content-type": "image/jpeg" }, payload: huge });
    expect(res.statusCode).toBe(413);
    expect(errorOf(res.body).code).toBe("IMAGE_TOO_LARGE");
  });

  it("says which field is missing", async () => {
    const wrongField = await app.inject({ method: "POST", url: "/api/v1/predict", ...multipart("photo", "a.jpg", "image/jpeg", readSample(1)) });
    expect(wrongField.statusCode).toBe(400);
    expect(errorOf(wrongField.body).message).toMatch(/"image"/);
    const empty = await app.inject({ method: "POST", url: "/api/v1/predict" });
    expect(empty.statusCode).toBe(400);
    expect(errorOf(empty.body).code).toBe("BAD_REQUEST");
  });

  it("reports health, serves the OpenAPI document and the docs page", async () => {
    const health = await app.inject("/health");
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: "ok", model: { loaded: true, name: expect.any(String) }, detector: { loaded: true }, db: { ok: true } });
    const doc = await app.inject("/docs/json");
    expect(doc.statusCode).toBe(200);
    const paths = Object.keys(doc.json().paths);
    expect(paths).toEqual(expect.arrayContaining(["/api/v1/predict", "/api/sessions", "/api/sessions/{id}", "/health"]));
    expect(doc.json().paths["/api/sessions"].post.requestBody.content["application/json"].schema.properties.title.type).toBe("string");
    const page = await app.inject("/docs");
    expect([200, 302]).toContain(page.statusCode);
  });

  it("answers unknown routes with a coded 404", async () => {
    const res = await app.inject("/api/nope");
    expect(res.statusCode).toBe(404);
    expect(errorOf(res.body).code).toBe("NOT_FOUND");
  });
});

describe("image API without a model", () => {
  it("answers 503 NOT_READY and health says degraded", async () => {
    const db = await createDb();
    const app = await buildApp({ db, vision: null, logger: false });
    try {
      const res = await app.inject({ method: "POST", url: "/api/v1/predict", headers: { "content-type": "image/jpeg" }, payload: readSample(1) });
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe("NOT_READY");
      const health = await app.inject("/health");
      expect(health.statusCode).toBe(503);
      expect(health.json()).toMatchObject({ status: "degraded", model: { loaded: false } });
    } finally {
      await app.close();
      await db.close();
    }
  });
});
