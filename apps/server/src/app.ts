import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { createDb, type Db } from "@emotion/db";
import type { Vision } from "@emotion/vision";
import { loadClassifier, loadVision, MODEL_PATH } from "@emotion/vision/node";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import { embeddedDbDir, env as processEnv, type Env } from "./env";
import { installErrorHandler } from "./http/errors";
import { installRateLimits } from "./http/rate-limits";
import { healthRoutes } from "./http/health.routes";
import { predictRoutes } from "./http/predict.routes";
import { webRoutes } from "./http/web.routes";
import { feedbackRoutes } from "./feedback/feedback.routes";
import { modelRoutes } from "./models/models.routes";
import { reportRoutes } from "./report/report.routes";
import { JoinGuard } from "./sessions/join-guard";
import { sessionRoutes } from "./sessions/session.routes";
import { uploadRoutes } from "./uploads/upload.routes";
import { useZodSchemas, zodToOpenApi } from "./http/zod";
import type { LiveHub } from "./live/hub";
import type { ModelSpec } from "./live/inference-pool";
import { watchModels, type ModelWatcher } from "./live/model-watcher";
import { attachLive } from "./live/socket";
import { loadTemporalFilter } from "./live/temporal";
import type { TemporalFilter } from "@emotion/vision/temporal";

export interface VisionHolder {
  current: Vision | null;
  /** Why the model is not loaded (null when it is). */
  error: string | null;
  /** The emotion model version in use, as inference workers load it; null without a model. */
  model: ModelSpec | null;
}

declare module "fastify" {
  interface FastifyInstance {
    config: Env;
    db: Db;
    vision: VisionHolder;
    /** The per-listener temporal filter of the live path (null: tiles show single readings). */
    temporal: { current: TemporalFilter | null };
    live: LiveHub;
    /** Failed join attempts per client address, for REST lookups and socket joins alike. */
    joinGuard: JoinGuard;
    /** Hot swap of the emotion model: `sync()` puts the active version in use now (after a promotion here). */
    models: ModelWatcher;
  }
}

export interface BuildAppOptions extends Partial<Env> {
  /** A database to use (not closed by the app); default: createDb from DATABASE_URL / DATA_DIR. */
  db?: Db;
  /** A loaded vision instance (not released by the app), or null to run without a model; default: loadVision(). */
  vision?: Vision | null;
  logger?: FastifyServerOptions["logger"];
}

/** Fastify's types lack the hop count its runtime accepts: a hop count becomes proxy-addr's trust function. */
const trustProxyOf = (trust: Env["TRUST_PROXY"]) => (typeof trust === "number" ? (_address: string, hop: number) => hop < trust : trust);

export const DEFAULT_WEB_DIST = fileURLToPath(new URL("../../web/dist", import.meta.url));

/** Builds the whole server (HTTP API, docs, web app, sockets) without listening. Options override the environment. */
export async function buildApp(options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const { db: givenDb, vision: givenVision, logger, ...overrides } = options;
  const config: Env = { ...processEnv, ...overrides };
  const app = Fastify({
    logger: logger ?? { level: config.LOG_LEVEL },
    genReqId: () => randomUUID(),
    bodyLimit: 64 * 1024,
    trustProxy: trustProxyOf(config.TRUST_PROXY),
    // Closing stores what was accepted for up to SHUTDOWN_TIMEOUT_MS (a preClose hook): Fastify must wait that long.
    pluginTimeout: Math.max(10_000, config.SHUTDOWN_TIMEOUT_MS + 5000),
  });
  app.decorate("config", config);
  app.decorateRequest("speakerSession", null);
  app.decorate("joinGuard", new JoinGuard(config.MAX_FAILED_JOINS_PER_MINUTE));
  useZodSchemas(app);
  installErrorHandler(app, { maxUploadBytes: config.MAX_UPLOAD_BYTES });
  await installRateLimits(app, config);

  const db = givenDb ?? (await createDb({ url: config.DATABASE_URL, dataDir: config.DATABASE_URL ? undefined : embeddedDbDir(config.DATA_DIR) }));
  if (!givenDb) app.addHook("onClose", () => db.close());
  app.decorate("db", db);
  if (db.migrationsApplied.length) app.log.info({ migrations: db.migrationsApplied }, "database migrated");

  const vision: VisionHolder = { current: null, error: null, model: null };
  if (givenVision !== undefined) vision.current = givenVision;
  else {
    try {
      vision.current = await loadVision({ threads: config.INFERENCE_THREADS, executionProviders: config.INFERENCE_PROVIDERS });
      app.addHook("onClose", () => vision.current?.release());
    } catch (err) {
      vision.error = (err as Error).message;
      app.log.error({ err }, "model not loaded: the image API and live readings answer NOT_READY");
    }
  }
  if (!vision.current && !vision.error) vision.error = "no model given";
  // The shipped model is version 1 of the registry; a given vision (tests) is taken to be it too.
  if (vision.current) vision.model = { version: 1, card: vision.current.card, bytes: null, path: MODEL_PATH };
  app.decorate("vision", vision);
  const temporal = { current: await loadTemporalFilter(config.TEMPORAL_FILTER, app.log) };
  app.addHook("onClose", () => temporal.current?.release());
  app.decorate("temporal", temporal);
  // The live hub before the routes: they use it (markers, upload progress), never its Socket.IO server.
  app.decorate("live", await attachLive(app));
  const models = watchModels({
    db,
    vision,
    load: (spec) =>
      loadClassifier({
        model: spec.bytes ?? spec.path ?? undefined,
        card: spec.card,
        threads: config.INFERENCE_THREADS,
        executionProviders: config.INFERENCE_PROVIDERS,
      }),
    swapWorkers: () => app.live.swapModel(),
    pollMs: config.MODEL_POLL_MS,
    log: app.log,
  });
  app.addHook("onClose", async () => models.close());
  app.decorate("models", models);
  // Before listening: an instance started after a promotion serves the active version from its first crop.
  await models.sync().catch((err: unknown) => app.log.error({ err }, "could not read the active model version; serving the shipped model"));

  await app.register(swagger, {
    openapi: {
      info: {
        title: "Emotion analytics API",
        version: "1.0.0",
        description: "Image predictions and live sessions. Socket.IO events are described in packages/protocol.",
      },
      components: { securitySchemes: { speakerToken: { type: "http", scheme: "bearer", description: "The speakerToken from POST /api/sessions" } } },
    },
    transform: zodToOpenApi,
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });

  await app.register(healthRoutes);
  await app.register(predictRoutes);
  await app.register(sessionRoutes);
  await app.register(reportRoutes);
  await app.register(feedbackRoutes);
  await app.register(modelRoutes);
  await app.register(uploadRoutes);
  await app.register(webRoutes, { root: config.WEB_DIST ?? DEFAULT_WEB_DIST });
  return app;
}
