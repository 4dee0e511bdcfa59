import { Readable } from "node:stream";
import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import { ErrorBody, SessionReport } from "@emotion/protocol";
import { renderReportPdf } from "@emotion/analytics/pdf";
import { requireSpeaker, speakerSessionOf } from "../sessions/require-speaker";
import type { ZodTypeProvider } from "../http/zod";
import { readingsCsv } from "./csv";
import { loadReport } from "./report.service";

const SessionParams = z.object({ id: z.string() });
const errors = { 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
const auth = [{ speakerToken: [] }];

function fileName(title: string, ext: string): string {
  const base =
    title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "")
      .slice(0, 60) || "session";
  return `${base}.${ext}`;
}

/** The report as JSON and PDF, and every reading as CSV (speaker token required). */
export const reportRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<ZodTypeProvider>();
  app.addHook("onRequest", requireSpeaker());

  app.get(
    "/api/sessions/:id/report",
    {
      schema: {
        tags: ["reports"],
        summary: "Everything the report view shows",
        params: SessionParams,
        security: auth,
        response: { 200: SessionReport, ...errors },
      },
    },
    async (request) => {
      const session = speakerSessionOf(request);
      return loadReport(app.db, session.id);
    },
  );

  app.get(
    "/api/sessions/:id/report.pdf",
    {
      schema: { tags: ["reports"], summary: "A printable report with the charts", params: SessionParams, security: auth, produces: ["application/pdf"] },
    },
    async (request, reply) => {
      const session = speakerSessionOf(request);
      const pdf = await renderReportPdf(await loadReport(app.db, session.id));
      return reply
        .header("content-type", "application/pdf")
        .header("content-disposition", `attachment; filename="${fileName(session.title, "pdf")}"`)
        .send(pdf);
    },
  );

  app.get(
    "/api/sessions/:id/export.csv",
    {
      schema: {
        tags: ["reports"],
        summary: "One row per reading",
        description:
          "Header participant,t_ms,angry,disgust,fear,happy,sad,surprise,neutral,dominant,quality; t_ms from the session start; no-face readings have empty probabilities and quality no_face.",
        params: SessionParams,
        security: auth,
        produces: ["text/csv"],
      },
    },
    async (request, reply) => {
      const session = speakerSessionOf(request);
      const names = new Map((await app.db.listParticipants(session.id)).map((p) => [p.id, p.name]));
      return reply
        .header("content-type", "text/csv; charset=utf-8")
        .header("content-disposition", `attachment; filename="${fileName(session.title, "csv")}"`)
        .send(Readable.from(readingsCsv(app.db, session.id, names)));
    },
  );
};
