import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { z } from "zod";
import {
  AppError, CreateSessionBody, CreatedSession, ErrorBody, JoinInfo, Marker, MarkerBody, Reading, SessionDetail, Timeline, TimelineQuery,
} from "@emotion/protocol";
import { authorizeSpeaker, bearerOf, createSession, normaliseCode, sessionTime, toMarker, toSessionDetail } from "../sessions";
import type { ZodTypeProvider } from "./zod";

const SessionParams = z.object({ id: z.string() });
const ListenerParams = z.object({ id: z.string(), participantId: z.string() });
const ReadingsQuery = z.object({ from: z.coerce.number().int().min(0).optional(), to: z.coerce.number().int().min(0).optional() });
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
const auth = [{ speakerToken: [] }];

export function publicUrlOf(request: FastifyRequest): string {
  return request.server.config.PUBLIC_URL ?? `${request.protocol}://${request.host}`;
}

/** Sessions API (issue 3): create, inspect, mark, start, end, timelines. */
export const sessionRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<ZodTypeProvider>();
  const speaker = (request: FastifyRequest, id: string) => authorizeSpeaker(app.db, id, bearerOf(request.headers.authorization));

  async function detail(id: string, request: FastifyRequest) {
    const rows = await app.db.getSessionDetail(id);
    if (!rows) throw new AppError("NOT_FOUND", `no session ${id}`);
    return toSessionDetail(rows, publicUrlOf(request));
  }

  app.post("/api/sessions", {
    schema: { tags: ["sessions"], summary: "Create a session", body: CreateSessionBody, response: { 201: CreatedSession, 400: ErrorBody } },
  }, async (request, reply) => reply.status(201).send(await createSession(app.db, request.body.title, publicUrlOf(request))));

  app.get("/api/sessions/:id", {
    schema: { tags: ["sessions"], summary: "A session with its listeners and markers", params: SessionParams, security: auth, response: { 200: SessionDetail, ...errors } },
  }, async (request) => {
    await speaker(request, request.params.id);
    return detail(request.params.id, request);
  });

  app.get("/api/join/:code", {
    schema: { tags: ["sessions"], summary: "What a listener sees before joining", params: z.object({ code: z.string() }), response: { 200: JoinInfo, 404: ErrorBody } },
  }, async (request) => {
    const session = await app.db.getSessionByCode(normaliseCode(request.params.code));
    if (!session) throw new AppError("NOT_FOUND", `no session with code ${request.params.code}`);
    return { sessionId: session.id, title: session.title, status: session.status };
  });

  app.post("/api/sessions/:id/markers", {
    schema: { tags: ["sessions"], summary: "Add a marker at the current session time", params: SessionParams, body: MarkerBody, security: auth, response: { 201: Marker, ...errors } },
  }, async (request, reply) => {
    const session = await speaker(request, request.params.id);
    const marker = toMarker(await app.db.addMarker({ sessionId: session.id, tMs: sessionTime(session), label: request.body.label }));
    app.live.broadcastMarker(session.id, marker);
    return reply.status(201).send(marker);
  });

  for (const action of ["start", "end"] as const) {
    app.post(`/api/sessions/:id/${action}`, {
      schema: { tags: ["sessions"], summary: action === "start" ? "Go live" : "End the session", params: SessionParams, security: auth, response: { 200: SessionDetail, ...errors } },
    }, async (request) => {
      const session = await speaker(request, request.params.id);
      await app.live.setStatus(session.id, action === "start" ? "live" : "ended");
      return detail(session.id, request);
    });
  }

  app.get("/api/sessions/:id/timeline", {
    schema: { tags: ["sessions"], summary: "Room averages per time bucket", params: SessionParams, querystring: TimelineQuery, security: auth, response: { 200: Timeline, ...errors } },
  }, async (request) => {
    const session = await speaker(request, request.params.id);
    const { from, to, bucketMs } = request.query;
    const buckets = await app.db.roomTimeline(session.id, { fromMs: from, toMs: to, bucketMs });
    return { sessionId: session.id, bucketMs, buckets };
  });

  app.get("/api/sessions/:id/listeners/:participantId/readings", {
    schema: { tags: ["sessions"], summary: "One listener's stored readings", params: ListenerParams, querystring: ReadingsQuery, security: auth, response: { 200: z.object({ readings: z.array(Reading) }), ...errors } },
  }, async (request) => {
    const session = await speaker(request, request.params.id);
    const rows = await app.db.participantTimeline(session.id, request.params.participantId, { fromMs: request.query.from, toMs: request.query.to });
    return { readings: rows.map(({ participantId, capturedAt, tMs, quality, dominant, probabilities }) => ({ participantId, capturedAt, tMs, quality, dominant, probabilities })) };
  });
};
