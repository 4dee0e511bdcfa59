import multipart from "@fastify/multipart";
import type { FastifyPluginAsync } from "fastify";
import { AppError, ErrorBody, ImagePrediction } from "@emotion/protocol";
import { decodeImage } from "@emotion/vision/node";
import { DecodeQueue } from "./decode-queue";
import type { ZodTypeProvider } from "./zod";

export const IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp"] as const;
const HOW = `send the image as multipart/form-data field "image", or as the raw body with Content-Type ${IMAGE_TYPES.join(", ")}`;

/** POST /api/v1/predict. Parsers live in this plugin only, so other routes keep rejecting images. */
export const predictRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<ZodTypeProvider>();
  const { MAX_UPLOAD_BYTES: maxBytes, MAX_IMAGE_PIXELS: maxPixels } = app.config;
  const decodes = new DecodeQueue(app.config.MAX_CONCURRENT_DECODES, app.config.MAX_QUEUED_DECODES);

  await app.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 5, parts: 6 } });
  for (const type of IMAGE_TYPES) app.addContentTypeParser(type, { parseAs: "buffer", bodyLimit: maxBytes }, (_request, body, done) => done(null, body));

  app.post(
    "/api/v1/predict",
    {
      bodyLimit: maxBytes,
      schema: {
        tags: ["predict"],
        summary: "Faces, boxes, emotion probabilities and quality for one image",
        description: `${HOW}. At most ${maxBytes} bytes and ${maxPixels} pixels. Faces are listed by confidence, most confident first; probabilities are null when the quality gate refused a face.`,
        consumes: ["multipart/form-data", ...IMAGE_TYPES],
        response: { 200: ImagePrediction, 400: ErrorBody, 413: ErrorBody, 415: ErrorBody, 422: ErrorBody, 429: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const vision = app.vision.current;
      if (!vision) throw new AppError("NOT_READY", `the model is not loaded: ${app.vision.error ?? "still loading"}`);
      let bytes: Buffer;
      if (request.isMultipart()) {
        const file = await request.file();
        if (!file) throw new AppError("BAD_REQUEST", `the multipart field "image" is missing; ${HOW}`);
        if (file.fieldname !== "image") throw new AppError("BAD_REQUEST", `expected the file in the multipart field "image", got "${file.fieldname}"`);
        bytes = await file.toBuffer();
      } else if (Buffer.isBuffer(request.body)) {
        bytes = request.body;
      } else if (request.body === undefined || request.body === null) {
        throw new AppError("BAD_REQUEST", `no image in the request; ${HOW}`);
      } else {
        throw new AppError("UNSUPPORTED_MEDIA_TYPE", `Content-Type ${request.headers["content-type"] ?? "(none)"} is not an image; ${HOW}`);
      }
      if (bytes.length === 0) throw new AppError("BAD_REQUEST", `the image is empty; ${HOW}`);
      // Decode and analysis share one bounded queue: a decoded image can take MAX_IMAGE_PIXELS × 3 bytes.
      return { faces: await decodes.run(async () => vision.analyze(await decodeImage(bytes, { maxPixels }))) };
    },
  );
};
