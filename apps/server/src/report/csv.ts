import type { Db } from "@emotion/db";
import { EMOTIONS } from "@emotion/protocol";

export const CSV_HEADER = `participant,t_ms,${EMOTIONS.join(",")},dominant,quality`;

/** RFC 4180 quoting: names are free text. */
function cell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * One row per stored reading, streamed page by page (keyset pagination), so a 4-million-row session
 * never sits in memory. Participants are named; no-face readings have empty probabilities.
 */
export async function* readingsCsv(db: Db, sessionId: string, names: Map<string, string>): AsyncGenerator<string> {
  yield CSV_HEADER + "\n";
  for await (const page of db.streamReadings(sessionId, 10_000)) {
    let chunk = "";
    for (const r of page) {
      const name = cell(names.get(r.participantId) ?? r.participantId);
      const probs = r.probabilities ? EMOTIONS.map((e) => r.probabilities![e].toFixed(3)).join(",") : ",,,,,,";
      chunk += `${name},${r.tMs},${probs},${r.dominant ?? ""},${r.quality}\n`;
    }
    yield chunk;
  }
}
