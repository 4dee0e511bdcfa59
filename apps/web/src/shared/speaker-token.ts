import { loadSpeakerToken, saveSpeakerToken } from "./storage";

/** The speaker token from `#token=` (saved for later visits), else from this browser's storage. */
export function resolveSpeakerToken(sessionId: string): string | null {
  const fromHash = new URLSearchParams(window.location.hash.slice(1)).get("token");
  if (fromHash) {
    saveSpeakerToken(sessionId, fromHash);
    return fromHash;
  }
  return loadSpeakerToken(sessionId);
}

/** A speaker-only page link that carries the token in the fragment (never sent to the server). */
export function speakerHref(page: "dashboard" | "report", sessionId: string, token: string | null): string {
  const base = `/${page}/${encodeURIComponent(sessionId)}`;
  return token ? `${base}#token=${encodeURIComponent(token)}` : base;
}
