// Test helpers shared by the upload tests (not part of the server).
import type { FastifyInstance } from "fastify";
import { CreatedSession, UploadView } from "@emotion/protocol";

/** A multipart/form-data body with one file part. */
export function multipart(field: string, filename: string, body: Buffer, type = "video/mp4") {
  const boundary = "----emotion-test-boundary";
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`),
    body,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, headers: { "content-type": `multipart/form-data; boundary=${boundary}` } };
}

export const bearer = (s: CreatedSession) => ({ authorization: `Bearer ${s.speakerToken}` });

/** Client calls of one app, as a speaker would make them. */
export function uploadClient(app: FastifyInstance) {
  const client = {
    async session(title = "Recorded talk") {
      return CreatedSession.parse((await app.inject({ method: "POST", url: "/api/sessions", payload: { title } })).json());
    },
    async upload(s: CreatedSession, body: Buffer, field = "video", name = "talk.mp4") {
      const { payload, headers } = multipart(field, name, body);
      return app.inject({ method: "POST", url: `/api/sessions/${s.id}/uploads`, payload, headers: { ...headers, ...bearer(s) } });
    },
    async status(s: CreatedSession, uploadId: string) {
      return UploadView.parse((await app.inject({ url: `/api/uploads/${uploadId}`, headers: bearer(s) })).json());
    },
    /** Polls until the upload is finished (or `until` holds). */
    async settle(s: CreatedSession, uploadId: string, until = (u: UploadView) => ["done", "failed", "cancelled"].includes(u.status)) {
      for (let i = 0; i < 1200; i++) {
        const status = await client.status(s, uploadId);
        if (until(status)) return status;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error("upload did not reach the state waited for");
    },
  };
  return client;
}
