import type { Db } from "@emotion/db";
import { EMOTIONS } from "@emotion/protocol";

export const CSV_HEADER = `participant,t_ms,${EMOTIONS.join(",")},dominant,quality`;

/** What a spreadsheet reads as the start of a formula (OWASP "CSV injection"); an importer may trim leading spaces first. */
const FORMULA_START = /^([\t\r]|\s*[=+\-@])/;

/**
 * A free-text cell (a listener's name): one that a spreadsheet would run as a formula gets a leading
 * single quote, then RFC 4180 quoting. Numbers never pass through here, so they stay numbers.
 */
export function textCell(value: string): string {
  const inert = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(inert) ? `"${inert.replace(/"/g, '""')}"` : inert;
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
      const name = textCell(names.get(r.participantId) ?? r.participantId);
      const probs = r.probabilities ? EMOTIONS.map((e) => r.probabilities![e].toFixed(3)).join(",") : ",,,,,,";
      chunk += `${name},${r.tMs},${probs},${r.dominant ?? ""},${r.quality}\n`;
    }
    yield chunk;
  }
}
