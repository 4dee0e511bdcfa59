import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@emotion/db";
import { CreatedSession, ErrorBody } from "@emotion/protocol";
import { buildApp } from "../app";
import { dbBackends } from "../test/backends";

type Method = "GET" | "POST" | "DELETE";

/** Every REST route that needs the speaker token, and what a refused call must leave unchanged. */
describe.each(dbBackends(process.env.TEST_DATABASE_URL))("speaker token on every speaker route (%s)", (_name, dbOptions) => {
  let db: Db;
  let app: FastifyInstance;
  let s: CreatedSession;
  let other: CreatedSession;
  let participantId: string;
  let uploadId: string;

  beforeAll(async () => {
    db = await createDb(dbOptions);
    app = await buildApp({ db, vision: null, logger: false });
    const create = async (title: string) => CreatedSession.parse((await app.inject({ method: "POST", url: "/api/sessions", payload: { title } })).json());
    s = await create("Guarded");
    other = await create("Someone else's");
    participantId = (await db.joinParticipant({ sessionId: s.id, name: "Ada", tokenHash: "-" })).id;
    uploadId = (await db.createUpload({ sessionId: s.id, fileName: "talk.mp4", bytes: 1234 })).id;
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const routes = (): Array<[Method, string, object?]> => [
    ["GET", `/api/sessions/${s.id}`],
    ["POST", `/api/sessions/${s.id}/markers`, { label: "slide 2" }],
    ["POST", `/api/sessions/${s.id}/start`],
    ["POST", `/api/sessions/${s.id}/end`],
    ["GET", `/api/sessions/${s.id}/timeline`],
    ["GET", `/api/sessions/${s.id}/listeners/${participantId}/readings`],
    ["GET", `/api/sessions/${s.id}/report`],
    ["GET", `/api/sessions/${s.id}/report.pdf`],
    ["GET", `/api/sessions/${s.id}/export.csv`],
    ["GET", `/api/sessions/${s.id}/uploads`],
    ["POST", `/api/sessions/${s.id}/uploads`],
    ["DELETE", `/api/uploads/${uploadId}`],
  ];
  const call = (method: Method, url: string, payload: object | undefined, authorization?: string) =>
    app.inject({ method, url, ...(payload ? { payload } : {}), headers: authorization ? { authorization } : {} });
  const codeOf = (res: Awaited<ReturnType<typeof call>>) => ErrorBody.parse(res.json()).error.code;

  it("answers 401 UNAUTHORIZED without a Bearer token", async () => {
    for (const [method, url, payload] of routes()) {
      for (const authorization of [undefined, "Basic c3BlYWtlcjp4", "Bearer", `bearer${s.speakerToken}`]) {
        const res = await call(method, url, payload, authorization);
        expect(res.statusCode, `${method} ${url} with ${authorization}`).toBe(401);
        expect(codeOf(res)).toBe("UNAUTHORIZED");
        expect(res.json().error.message).toMatch(/Authorization: Bearer/);
      }
    }
  });

  it("answers 403 FORBIDDEN for another session's token or a made-up one", async () => {
    for (const [method, url, payload] of routes()) {
      for (const token of [other.speakerToken, "x".repeat(32)]) {
        const res = await call(method, url, payload, `Bearer ${token}`);
        expect(res.statusCode, `${method} ${url}`).toBe(403);
        expect(codeOf(res)).toBe("FORBIDDEN");
      }
    }
  });

  it("changes nothing when refused: no marker, no status change, the upload still queued", async () => {
    const detail = await db.getSessionDetail(s.id);
    expect(detail?.session.status).toBe("scheduled");
    expect(detail?.markers).toEqual([]);
    expect((await db.getUpload(uploadId))?.status).toBe("queued");
  });

  it("checks the token before the input: no token and a bad body is 401, not 400", async () => {
    const res = await call("POST", `/api/sessions/${s.id}/markers`, { label: "" });
    expect(res.statusCode).toBe(401);
    const bad = await call("GET", `/api/sessions/${s.id}/timeline?bucketMs=5`, undefined, `Bearer ${other.speakerToken}`);
    expect(bad.statusCode).toBe(403);
  });

  it("answers 404 for an unknown session or upload, even with a token", async () => {
    const bearer = `Bearer ${s.speakerToken}`;
    for (const [method, url] of [
      ["GET", "/api/sessions/00000000-0000-0000-0000-000000000000"],
      ["GET", "/api/sessions/not-an-id/report"],
      ["GET", "/api/sessions/not-an-id/uploads"],
      ["DELETE", "/api/uploads/00000000-0000-0000-0000-000000000000"],
    ] as const) {
      const res = await call(method, url, undefined, bearer);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(codeOf(res)).toBe("NOT_FOUND");
    }
  });

  it("lets the right token through", async () => {
    const bearer = `Bearer ${s.speakerToken}`;
    expect((await call("GET", `/api/sessions/${s.id}`, undefined, bearer)).statusCode).toBe(200);
    expect((await call("GET", `/api/sessions/${s.id}/uploads`, undefined, bearer)).statusCode).toBe(200);
    expect((await call("POST", `/api/sessions/${s.id}/markers`, { label: "slide 2" }, bearer)).statusCode).toBe(201);
  });
});
