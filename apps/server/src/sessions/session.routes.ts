import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { z } from "zod";
import {
  AppError,
  CreateSessionBody,
  CreatedSession,
  ErrorBody,
  JoinInfo,
  Marker,
  MarkerBody,
  Reading,
  SessionDetail,
  Timeline,
  TimelineQuery,
} from "@emotion/protocol";
import type { ZodTypeProvider } from "../http/zod";
import { requireSpeaker, speakerSessionOf } from "./require-speaker";
import { createSession, toSessionDetail } from "./session.service";
import { normaliseCode } from "./tokens";

const SessionParams = z.object({ id: z.string() });
const ListenerParams = z.object({ id: z.string(), participantId: z.string() });
const ReadingsQuery = z.object({ from: z.coerce.number().int().min(0).optional(), to: z.coerce.number().int().min(0).optional() });
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
const auth = [{ speakerToken: [] }];

export function publicUrlOf(request: FastifyRequest): string {
  return request.server.config.PUBLIC_URL ?? `${request.protocol}://${request.host}`;
}

/** Sessions API: create and look up (public), then inspect, mark, start, end, timelines (speaker token). */
export const sessionRoutes: FastifyPluginAsync = async (app) => {
  await app.register(publicSessionRoutes);
  await app.register(speakerSessionRoutes);
};

const publicSessionRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<ZodTypeProvider>();
  const maxFailures = app.config.MAX_FAILED_JOINS_PER_MINUTE;

  app.post(
    "/api/sessions",
    {
      schema: { tags: ["sessions"], summary: "Create a session", body: CreateSessionBody, response: { 201: CreatedSession, 400: ErrorBody, 429: ErrorBody } },
    },
    async (request, reply) => reply.status(201).send(await createSession(app.db, request.body.title, publicUrlOf(request))),
  );

  app.get(
    "/api/join/:code",
    {
      schema: {
        tags: ["sessions"],
        summary: "What a listener sees before joining",
        description: `An address that names ${maxFailures} unknown codes within a minute gets 429 until the minute is over (MAX_FAILED_JOINS_PER_MINUTE).`,
        params: z.object({ code: z.string() }),
        response: { 200: JoinInfo, 404: ErrorBody, 429: ErrorBody },
      },
    },
    async (request) => {
      app.joinGuard.check(request.ip);
      const session = await app.db.getSessionByCode(normaliseCode(request.params.code));
      if (!session) {
        app.joinGuard.fail(request.ip);
        throw new AppError("NOT_FOUND", `no session with code ${request.params.code}`);
      }
      return { sessionId: session.id, title: session.title, status: session.status };
    },
  );
};

/** Every route here needs the session's speaker token: one hook, before any body is read. */
const speakerSessionRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<ZodTypeProvider>();
  app.addHook("onRequest", requireSpeaker());

  async function loadDetail(id: string, request: FastifyRequest) {
    const rows = await app.db.getSessionDetail(id);
    if (!rows) throw new AppError("NOT_FOUND", `no session ${id}`);
    return toSessionDetail(rows, publicUrlOf(request));
  }

  app.get(
    "/api/sessions/:id",
    {
      schema: {
        tags: ["sessions"],
        summary: "A session with its listeners and markers",
        params: SessionParams,
        security: auth,
        response: { 200: SessionDetail, ...errors },
      },
    },
    async (request) => loadDetail(speakerSessionOf(request).id, request),
  );

  app.post(
    "/api/sessions/:id/markers",
    {
      schema: {
        tags: ["sessions"],
        summary: "Add a marker at the current session time",
        params: SessionParams,
        body: MarkerBody,
        security: auth,
        response: { 201: Marker, ...errors },
      },
    },
    async (request, reply) => {
      const session = speakerSessionOf(request);
      return reply.status(201).send(await app.live.addMarker(session, request.body.label));
    },
  );

  for (const action of ["start", "end"] as const) {
    app.post(
      `/api/sessions/:id/${action}`,
      {
        schema: {
          tags: ["sessions"],
          summary: action === "start" ? "Go live" : "End the session",
          params: SessionParams,
          security: auth,
          response: { 200: SessionDetail, ...errors },
        },
      },
      async (request) => {
        const session = speakerSessionOf(request);
        await app.live.setStatus(session.id, action === "start" ? "live" : "ended");
        return loadDetail(session.id, request);
      },
    );
  }

  app.get(
    "/api/sessions/:id/timeline",
    {
      schema: {
        tags: ["sessions"],
        summary: "Room averages per time bucket",
        params: SessionParams,
        querystring: TimelineQuery,
        security: auth,
        response: { 200: Timeline, ...errors },
      },
    },
    async (request) => {
      const session = speakerSessionOf(request);
      const { from, to, bucketMs } = request.query;
      const buckets = await app.db.roomTimeline(session.id, { fromMs: from, toMs: to, bucketMs });
      return { sessionId: session.id, bucketMs, buckets };
    },
  );

  app.get(
    "/api/sessions/:id/listeners/:participantId/readings",
    {
      schema: {
        tags: ["sessions"],
        summary: "One listener's stored readings",
        params: ListenerParams,
        querystring: ReadingsQuery,
        security: auth,
        response: { 200: z.object({ readings: z.array(Reading) }), ...errors },
      },
    },
    async (request) => {
      const session = speakerSessionOf(request);
      const rows = await app.db.participantTimeline(session.id, request.params.participantId, { fromMs: request.query.from, toMs: request.query.to });
      return {
        readings: rows.map(({ participantId, capturedAt, tMs, quality, dominant, probabilities }) => ({
          participantId,
          capturedAt,
          tMs,
          quality,
          dominant,
          probabilities,
        })),
      };
    },
  );
};
