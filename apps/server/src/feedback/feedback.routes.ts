import { AppError, ContributionsDeleted, ErrorBody } from "@emotion/protocol";
import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import { perMinuteLimit } from "../http/rate-limits";
import type { ZodTypeProvider } from "../http/zod";
import { bearerOf, isTokenValid, requireSpeaker, speakerSessionOf } from "../sessions";

/** Deletions per client address and minute; each one is a few statements, a loop of them is an attack. */
export const MAX_CONTRIBUTION_DELETES_PER_MINUTE = 30;

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 429: ErrorBody };
const rateLimit = perMinuteLimit(MAX_CONTRIBUTION_DELETES_PER_MINUTE, "deletions");

const WithdrawQuery = z.object({ participantId: z.string().min(1, "participantId is required").max(64, "participantId is at most 64 characters") });

/**
 * Deleting listeners' corrections and shared crops: a listener withdraws its own with its participant
 * token (the one listener:join answered), a speaker deletes its session's with the speaker token.
 */
export const feedbackRoutes: FastifyPluginAsync = async (app) => {
  await app.register(listenerRoutes);
  await app.register(speakerRoutes);
};

const listenerRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<ZodTypeProvider>();
  app.delete(
    "/api/participants/me/contributions",
    {
      config: { rateLimit },
      schema: {
        tags: ["feedback"],
        summary: "Withdraw my corrections and shared face crops",
        description: "Authorization: Bearer <participantToken> (from listener:join). The crops are deleted, not hidden; they never train a model again.",
        querystring: WithdrawQuery,
        response: { 200: ContributionsDeleted, ...errors },
      },
    },
    async (request) => {
      const token = bearerOf(request.headers.authorization);
      if (!token) throw new AppError("UNAUTHORIZED", "the participant token is required (Authorization: Bearer <participantToken>)");
      const participant = await app.db.getParticipant(request.query.participantId);
      if (!participant) throw new AppError("NOT_FOUND", `no participant ${request.query.participantId}`);
      if (!isTokenValid(token, participant.tokenHash)) throw new AppError("FORBIDDEN", "the participant token does not match this participant");
      return app.db.withdrawContributions(participant.id);
    },
  );
};

/** One hook: the speaker token is checked before anything else. */
const speakerRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<ZodTypeProvider>();
  app.addHook("onRequest", requireSpeaker());
  app.delete(
    "/api/sessions/:id/contributions",
    {
      config: { rateLimit },
      schema: {
        tags: ["feedback"],
        summary: "Delete this session's corrections and shared face crops",
        params: z.object({ id: z.string() }),
        security: [{ speakerToken: [] }],
        response: { 200: ContributionsDeleted, ...errors },
      },
    },
    async (request) => app.db.deleteSessionContributions(speakerSessionOf(request).id),
  );
};
