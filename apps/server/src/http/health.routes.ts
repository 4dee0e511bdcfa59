import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import type { ZodTypeProvider } from "./zod";

export const Health = z.object({
  status: z.enum(["ok", "degraded"]),
  model: z.object({
    loaded: z.boolean(),
    name: z.string().nullable(),
    accuracy: z.number().nullable(),
    error: z.string().nullable(),
    /** The registry version in use (hot swap moves every instance and worker to the active one). */
    version: z.number().nullable(),
    /** The ONNX Runtime execution provider of the in-process model (the image API, uploads). */
    provider: z.string().nullable(),
  }),
  /** The inference workers that classify live crops: the model version and the execution provider each actually uses. */
  workers: z.array(
    z.object({ ready: z.boolean(), modelVersion: z.number().nullable(), provider: z.string().nullable(), providerError: z.string().nullable() }),
  ),
  /** This instance: its name, and whether it shares live state with others through Redis (REDIS_URL). */
  instance: z.object({ id: z.string(), clustered: z.boolean() }),
  detector: z.object({ loaded: z.boolean() }),
  db: z.object({ ok: z.boolean(), driver: z.enum(["pglite", "postgres"]) }),
  /** This process's resident memory (load tests against --url read it). */
  memory: z.object({ rssMb: z.number() }),
  /** The readings' group commit on this process: stored, waiting, refused by the database (quarantined), failed inserts during outages. */
  readings: z.object({ stored: z.number(), pending: z.number(), quarantined: z.number(), outages: z.number() }),
});
export type Health = z.infer<typeof Health>;

/** GET /health: 200 when the model and database answer, 503 (same body) when not. */
export const healthRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<ZodTypeProvider>();
  app.get(
    "/health",
    { schema: { tags: ["health"], summary: "Model, detector and database status", response: { 200: Health, 503: Health } } },
    async (_request, reply) => {
      const vision = app.vision.current;
      const isDbOk = await app.db.ping();
      const card = vision?.card;
      const accuracy = card?.publicTest?.accuracy;
      const body: Health = {
        status: vision && isDbOk ? "ok" : "degraded",
        model: {
          loaded: Boolean(vision),
          name: typeof card?.name === "string" ? card.name : null,
          accuracy: typeof accuracy === "number" ? accuracy : null,
          error: vision ? null : app.vision.error,
          version: vision ? (app.vision.model?.version ?? null) : null,
          provider: vision?.providers.classifier ?? null,
        },
        workers: app.live.workers,
        instance: { id: app.live.instance.id, clustered: app.live.instance.isClustered },
        detector: { loaded: Boolean(vision) },
        db: { ok: isDbOk, driver: app.db.driver },
        memory: { rssMb: Math.round(process.memoryUsage.rss() / 1048576) },
        readings: { ...app.live.writer.stats, pending: app.live.writer.pending },
      };
      return reply.status(body.status === "ok" ? 200 : 503).send(body);
    },
  );
};
