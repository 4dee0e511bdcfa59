import type { Db, ParticipantRow, SessionDetailRows, SessionRow } from "@emotion/db";
import { AppError, type CreatedSession, type Marker, type SessionDetail } from "@emotion/protocol";
import { generateCode, generateToken, hashToken, isTokenValid } from "./tokens";

export const joinUrlOf = (publicUrl: string, code: string) => `${publicUrl}/join/${code}`;

/** Creates a scheduled session with a fresh code and speaker token. */
export async function createSession(db: Db, title: string, publicUrl: string): Promise<CreatedSession> {
  const speakerToken = generateToken();
  for (let attempt = 0; attempt < 8; attempt++) {
    const session = await db.createSession({ code: generateCode(), title, speakerTokenHash: hashToken(speakerToken) });
    if (!session) continue;
    return {
      id: session.id,
      code: session.code,
      joinUrl: joinUrlOf(publicUrl, session.code),
      // The token rides in the fragment, which browsers never send, so it stays out of logs.
      dashboardUrl: `${publicUrl}/dashboard/${session.id}#token=${speakerToken}`,
      speakerToken,
    };
  }
  throw new AppError("INTERNAL", "could not allocate a session code");
}

/** The session when `token` is its speaker token: 401 without one, 403 for a wrong one, 404 for no session. */
export async function authorizeSpeaker(db: Db, sessionId: string, token: string | null | undefined): Promise<SessionRow> {
  if (!token) throw new AppError("UNAUTHORIZED", "the speaker token is required (Authorization: Bearer <speakerToken>)");
  const session = await db.getSession(sessionId);
  if (!session) throw new AppError("NOT_FOUND", `no session ${sessionId}`);
  if (!isTokenValid(token, session.speakerTokenHash)) throw new AppError("FORBIDDEN", "the speaker token does not match this session");
  return session;
}

export const toMarker = (m: { id: string; label: string; tMs: number }): Marker => ({ id: m.id, label: m.label, tMs: m.tMs });

/** ms since the session went live (0 before it did). */
export const sessionTime = (session: Pick<SessionRow, "startedAt">, at = Date.now()) => (session.startedAt ? Math.max(0, at - session.startedAt.getTime()) : 0);

export function toSessionDetail(rows: SessionDetailRows, publicUrl: string): SessionDetail {
  const { session } = rows;
  return {
    id: session.id,
    title: session.title,
    code: session.code,
    status: session.status,
    createdAt: session.createdAt.toISOString(),
    startedAt: session.startedAt?.toISOString() ?? null,
    endedAt: session.endedAt?.toISOString() ?? null,
    joinUrl: joinUrlOf(publicUrl, session.code),
    listeners: rows.participants.map(toListenerSummary),
    markers: rows.markers.map(toMarker),
  };
}

function toListenerSummary(p: ParticipantRow) {
  return { id: p.id, name: p.name, kind: p.kind, readings: p.readingsCount, joinedAt: p.joinedAt.toISOString(), leftAt: p.leftAt?.toISOString() ?? null };
}
