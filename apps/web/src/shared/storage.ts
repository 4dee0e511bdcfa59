/** Browser storage that never throws (private mode, disabled storage). */
function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

const speakerKey = (sessionId: string) => `emotion:speaker:${sessionId}`;
const participantKey = (code: string) => `emotion:participant:${code.toUpperCase()}`;
const RECENT_KEY = "emotion:recent-sessions";

export function saveSpeakerToken(sessionId: string, token: string): void {
  safe(() => localStorage.setItem(speakerKey(sessionId), token), undefined);
}

export function loadSpeakerToken(sessionId: string): string | null {
  return safe(() => localStorage.getItem(speakerKey(sessionId)), null);
}

export interface RecentSession {
  id: string;
  title: string;
  code: string;
  createdAt: number;
}

export function loadRecentSessions(): RecentSession[] {
  return safe(() => JSON.parse(localStorage.getItem(RECENT_KEY) ?? "[]") as RecentSession[], []);
}

export function rememberSession(session: RecentSession): void {
  const rest = loadRecentSessions().filter((s) => s.id !== session.id);
  safe(() => localStorage.setItem(RECENT_KEY, JSON.stringify([session, ...rest].slice(0, 8))), undefined);
}

/** The listener's identity in this tab, so that a reconnect or reload resumes the same participant. */
export interface ParticipantIdentity {
  participantId: string;
  participantToken: string;
}

export function loadParticipant(code: string): ParticipantIdentity | null {
  return safe(() => JSON.parse(sessionStorage.getItem(participantKey(code)) ?? "null") as ParticipantIdentity | null, null);
}

export function saveParticipant(code: string, identity: ParticipantIdentity): void {
  safe(() => sessionStorage.setItem(participantKey(code), JSON.stringify(identity)), undefined);
}

export function forgetParticipant(code: string): void {
  safe(() => sessionStorage.removeItem(participantKey(code)), undefined);
}
