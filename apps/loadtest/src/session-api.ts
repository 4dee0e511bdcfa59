import { CreatedSession, SessionDetail } from "@emotion/protocol";

export interface SessionRef {
  id: string;
  code: string;
  speakerToken: string;
}

async function request(url: string, init: RequestInit = {}): Promise<unknown> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${url} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

/** POST /api/sessions: a fresh session for this run. */
export async function createSession(baseUrl: string, title: string): Promise<SessionRef> {
  const body = CreatedSession.parse(
    await request(`${baseUrl}/api/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ title }) }),
  );
  return { id: body.id, code: body.code, speakerToken: body.speakerToken };
}

/** Readings stored for the given participants, from GET /api/sessions/:id (the speaker's view). */
export async function fetchStoredReadings(baseUrl: string, session: SessionRef, participantIds: ReadonlySet<string>): Promise<number> {
  const detail = SessionDetail.parse(
    await request(`${baseUrl}/api/sessions/${encodeURIComponent(session.id)}`, { headers: { authorization: `Bearer ${session.speakerToken}` } }),
  );
  return detail.listeners.reduce((sum, l) => sum + (participantIds.has(l.id) ? l.readings : 0), 0);
}

/**
 * Waits for the server's write-behind buffer to reach the database: polls until every acked reading is
 * stored, at most `maxWaitMs` (a busy server may take a few seconds to write its backlog).
 */
export async function waitForStored(
  baseUrl: string,
  session: SessionRef,
  participantIds: ReadonlySet<string>,
  expected: number,
  { minWaitMs = 1000, maxWaitMs = 30_000, pollMs = 500 } = {},
): Promise<number> {
  const start = Date.now();
  await new Promise((r) => setTimeout(r, minWaitMs));
  let stored = await fetchStoredReadings(baseUrl, session, participantIds);
  while (stored < expected && Date.now() - start < maxWaitMs) {
    await new Promise((r) => setTimeout(r, pollMs));
    stored = await fetchStoredReadings(baseUrl, session, participantIds);
  }
  return stored;
}
