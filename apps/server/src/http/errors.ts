import type { FastifyError, FastifyInstance } from "fastify";
import { AppError, ErrorCode } from "@emotion/protocol";

const BY_STATUS: Record<number, ErrorCode> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  406: "BAD_REQUEST",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  429: "RATE_LIMITED",
  503: "NOT_READY",
};

/** An AppError the client may retry after `retryAfterS` seconds: the error handler sends it as Retry-After. */
export class RetryLaterError extends AppError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly retryAfterS: number,
  ) {
    super(code, message);
  }
}

/** Maps what Fastify and its plugins throw onto our codes; null for an unexpected error. */
export function toAppError(err: unknown, limits: { maxUploadBytes: number }): AppError | null {
  if (err instanceof AppError) return err;
  const e = err as Partial<FastifyError> & { name?: string; code?: string; status?: number };
  // An AppError from another copy of the protocol package.
  if (e?.name === "AppError" && ErrorCode.safeParse(e.code).success) return new AppError(e.code as ErrorCode, String(e.message), e.status);
  switch (e?.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
    case "FST_REQ_FILE_TOO_LARGE":
      return new AppError("PAYLOAD_TOO_LARGE", `the upload exceeds the limit of ${limits.maxUploadBytes} bytes`);
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new AppError(
        "UNSUPPORTED_MEDIA_TYPE",
        `unsupported content type; send JSON, or an image as image/jpeg, image/png, image/webp or multipart/form-data`,
      );
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new AppError("BAD_REQUEST", "the JSON body is empty");
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new AppError("BAD_REQUEST", `the body is not valid JSON`);
  }
  const status = typeof e?.statusCode === "number" ? e.statusCode : 0;
  if (status >= 400 && status < 500) return new AppError(BY_STATUS[status] ?? "BAD_REQUEST", e.message ?? "bad request", status);
  return null;
}

/** One error handler: AppError -> its status and `{ error: { code, message } }`; anything else -> 500 INTERNAL, logged. */
export function installErrorHandler(app: FastifyInstance, limits: { maxUploadBytes: number }): void {
  app.setErrorHandler((err, request, reply) => {
    const appError = toAppError(err, limits);
    if (appError) {
      if (err instanceof RetryLaterError) reply.header("retry-after", String(Math.max(1, Math.ceil(err.retryAfterS))));
      if (appError.status >= 500) request.log.error({ err, reqId: request.id }, appError.message);
      return reply.status(appError.status).send(appError.toBody());
    }
    request.log.error({ err, reqId: request.id }, "unhandled error");
    return reply.status(500).send({ error: { code: "INTERNAL", message: `internal error (request ${request.id})` } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(new AppError("NOT_FOUND", `no route for ${request.method} ${request.url.split("?")[0]}`).toBody()),
  );
}
