import type { SessionRow } from "@emotion/db";
import { AppError } from "@emotion/protocol";
import type { FastifyRequest } from "fastify";
import { authorizeSpeaker } from "./session.service";
import { bearerOf } from "./tokens";

declare module "fastify" {
  interface FastifyRequest {
    /** The session whose speaker token came with the request (set by requireSpeaker). */
    speakerSession: SessionRow | null;
  }
}

/** Which session a request acts on; default: the `:id` route parameter. */
export type SessionIdOf = (request: FastifyRequest) => string | Promise<string>;

const idParam: SessionIdOf = (request) => (request.params as { id?: string }).id ?? "";

/**
 * The one speaker check of the REST API, as a hook (onRequest or preHandler) for every route that
 * needs the speaker token: 401 without a Bearer token, 404 for no session, 403 for a wrong token.
 * Registered as an onRequest hook it runs before any body is read or validated, so a caller without
 * the token learns nothing about the route's input rules. Read the session with `speakerSessionOf`.
 */
export function requireSpeaker(sessionIdOf: SessionIdOf = idParam) {
  return async function checkSpeaker(request: FastifyRequest): Promise<void> {
    const token = bearerOf(request.headers.authorization);
    if (!token) throw new AppError("UNAUTHORIZED", "the speaker token is required (Authorization: Bearer <speakerToken>)");
    request.speakerSession = await authorizeSpeaker(request.server.db, await sessionIdOf(request), token);
  };
}

/** The session requireSpeaker authorised for this request. */
export function speakerSessionOf(request: FastifyRequest): SessionRow {
  if (!request.speakerSession) throw new AppError("INTERNAL", `route ${request.routeOptions.url} reads the speaker session without requireSpeaker`);
  return request.speakerSession;
}
