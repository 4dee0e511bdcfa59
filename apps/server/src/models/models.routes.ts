import { toModelVersionView } from "@emotion/db";
import { ActivationResult, AppError, ErrorBody, ModelsQuery, ModelsResponse, ModelVersionParam, PromoteBody } from "@emotion/protocol";
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from "fastify";
import { perMinuteLimit } from "../http/rate-limits";
import type { ZodTypeProvider } from "../http/zod";
import { bearerOf, hashToken, isTokenValid } from "../sessions";

/** Admin requests per client address and minute: a wrong token costs one of them, so guessing is slow. */
export const MAX_ADMIN_REQUESTS_PER_MINUTE = 60;

const errors = { 400: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 429: ErrorBody };
const rateLimit = perMinuteLimit(MAX_ADMIN_REQUESTS_PER_MINUTE, "admin requests");
const AUTH = "Authorization: Bearer <ADMIN_TOKEN>. 403 FORBIDDEN when the server has no ADMIN_TOKEN or the token is wrong.";

/** 403 unless the request carries the server's ADMIN_TOKEN (compared in constant time, as hashes). */
function requireAdmin(token: string | undefined) {
  const expected = token ? hashToken(token) : null;
  return async (request: FastifyRequest) => {
    if (!expected) throw new AppError("FORBIDDEN", "the admin API is off: set ADMIN_TOKEN on the server to use it");
    const given = bearerOf(request.headers.authorization);
    if (!given || !isTokenValid(given, expected))
      throw new AppError("FORBIDDEN", "the admin API needs the server's ADMIN_TOKEN (Authorization: Bearer <ADMIN_TOKEN>)");
  };
}

/** This instance puts the new active version in use at once; the others find it on their next poll (MODEL_POLL_MS). */
async function swapHere(app: FastifyInstance): Promise<void> {
  await app.models
    .sync()
    .catch((err: unknown) => app.log.error({ err }, "the active version changed, but this instance could not load it yet; it retries on its next poll"));
}

/** The model registry over HTTP: versions and their monitoring, promotion behind the PublicTest gate, rollback. */
export const modelRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<ZodTypeProvider>();
  // preValidation, after the rate limit's onRequest hook: a wrong token is counted like any request.
  app.addHook("preValidation", requireAdmin(app.config.ADMIN_TOKEN));

  app.get(
    "/api/models",
    {
      config: { rateLimit },
      schema: {
        tags: ["models"],
        summary: "Model versions, the active one, and per-version monitoring over time buckets",
        description: `${AUTH} The window is at most 31 days and 500 buckets; figures come from a per-minute rollup, not from the readings.`,
        querystring: ModelsQuery,
        response: { 200: ModelsResponse, ...errors },
      },
    },
    async (request) => {
      const [models, monitoring] = await Promise.all([app.db.listModels(), app.db.modelMonitoring(request.query)]);
      return { active: models.find((m) => m.status === "active")?.version ?? null, models: models.map(toModelVersionView), monitoring };
    },
  );

  app.post(
    "/api/models/:version/promote",
    {
      config: { rateLimit },
      schema: {
        tags: ["models"],
        summary: "Make a version active",
        description: `${AUTH} Refused (409 CONFLICT, naming both accuracies) when the version is worse on PublicTest than the active one by more than 0.3 points, unless force is true.`,
        params: ModelVersionParam,
        body: PromoteBody.optional(),
        response: { 200: ActivationResult, ...errors },
      },
    },
    async (request) => {
      const result = await app.db.promoteModel(request.params.version, { force: request.body?.force ?? false });
      request.log.info({ model: result }, "model version promoted");
      await swapHere(app);
      return result;
    },
  );

  app.post(
    "/api/models/rollback",
    {
      config: { rateLimit },
      schema: { tags: ["models"], summary: "Undo the latest promotion", description: AUTH, response: { 200: ActivationResult, ...errors } },
    },
    async (request) => {
      const result = await app.db.rollbackModel();
      request.log.info({ model: result }, "model version rolled back");
      await swapHere(app);
      return result;
    },
  );
};
