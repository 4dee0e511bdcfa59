import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db, type ReadingInput } from "@emotion/db";
import { CreatedSession, SessionReport, toProbabilities } from "@emotion/protocol";
import { buildApp } from "../app";
import { dbBackends } from "../test/backends";
import { CSV_HEADER } from "./csv";

describe.each(dbBackends(process.env.TEST_DATABASE_URL))("reports and exports on %s", (_name, dbOptions) => {
  let app: FastifyInstance;
  let db: Db;
  let s: CreatedSession;
  const bearer = () => ({ authorization: `Bearer ${s.speakerToken}` });

  beforeAll(async () => {
    db = await createDb(dbOptions);
    app = await buildApp({ db, vision: null, logger: false, DATA_DIR: mkdtempSync(join(tmpdir(), "report-routes-")) });
    s = CreatedSession.parse((await app.inject({ method: "POST", url: "/api/sessions", payload: { title: 'Demo, "day" 1' } })).json());
    await db.startSession(s.id, new Date(Date.now() - 60_000));
    const ada = await db.joinParticipant({ sessionId: s.id, name: "Ada, the first", tokenHash: "-" });
    const bo = await db.joinParticipant({ sessionId: s.id, name: "Bo", tokenHash: "-" });
    const happy = toProbabilities([0.05, 0, 0.05, 0.7, 0.05, 0.05, 0.1]);
    const row = (participantId: string, tMs: number, p: typeof happy | null): ReadingInput => ({
      sessionId: s.id,
      participantId,
      capturedAt: 1e12 + tMs,
      serverAt: 1e12 + tMs,
      tMs,
      quality: p ? "ok" : "no_face",
      dominant: p ? "happy" : null,
      probabilities: p,
    });
    // Ada: 20 happy readings over 10 s; Bo: 10 readings, the last 5 without a face
    await db.insertReadings([
      ...Array.from({ length: 20 }, (_, i) => row(ada.id, i * 500, happy)),
      ...Array.from({ length: 10 }, (_, i) => row(bo.id, i * 1000, i < 5 ? happy : null)),
    ]);
    await db.addMarker({ sessionId: s.id, tMs: 4000, label: "slide 2" });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it("needs the speaker token for every export", async () => {
    for (const url of ["report", "report.pdf", "export.csv"]) {
      expect((await app.inject(`/api/sessions/${s.id}/${url}`)).statusCode).toBe(401);
      expect((await app.inject({ url: `/api/sessions/${s.id}/${url}`, headers: { authorization: "Bearer wrong" } })).statusCode).toBe(403);
    }
  });

  it("answers the report JSON computed from the stored readings", async () => {
    const res = await app.inject({ url: `/api/sessions/${s.id}/report`, headers: bearer() });
    expect(res.statusCode).toBe(200);
    const report = SessionReport.parse(res.json());
    expect(report.listenerCount).toBe(2);
    expect(report.readingCount).toBe(30);
    expect(report.dominant).toBe("happy");
    expect(report.distribution.happy).toBe(1);
    expect(report.presence).toBeCloseTo((1 + 0.5) / 2, 4);
    expect(report.markers.map((m) => m.label)).toEqual(["slide 2"]);
    const bo = report.listeners.find((l) => l.name === "Bo")!;
    expect(bo.readings).toBe(10);
    expect(bo.presence).toBeCloseTo(0.5, 4);
    expect(report.session.durationMs).toBeGreaterThanOrEqual(60_000);
  });

  it("exports one CSV row per reading, with names quoted and no-face rows empty", async () => {
    const res = await app.inject({ url: `/api/sessions/${s.id}/export.csv`, headers: bearer() });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("text/csv");
    expect(res.headers["content-disposition"]).toContain('filename="demo-day-1.csv"');
    const lines = res.body.trimEnd().split("\n");
    expect(lines[0]).toBe(CSV_HEADER);
    expect(CSV_HEADER).toBe("participant,t_ms,angry,disgust,fear,happy,sad,surprise,neutral,dominant,quality");
    expect(lines).toHaveLength(31);
    expect(lines).toContain('"Ada, the first",500,0.050,0.000,0.050,0.700,0.050,0.050,0.100,happy,ok');
    expect(lines).toContain("Bo,9000,,,,,,,,,no_face");
  });

  it("renders a PDF that holds what the view shows", async () => {
    const res = await app.inject({ url: `/api/sessions/${s.id}/report.pdf`, headers: bearer() });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/pdf");
    const dir = mkdtempSync(join(tmpdir(), "report-pdf-"));
    writeFileSync(join(dir, "r.pdf"), res.rawPayload);
    const text = execFileSync("pdftotext", [join(dir, "r.pdf"), "-"], { encoding: "utf8" });
    expect(text).toContain('Demo, "day" 1');
    expect(text).toContain("Ada, the first");
    expect(text).toContain("slide 2");
    expect(text).toMatch(/2 listeners were measured/);
  });
});
