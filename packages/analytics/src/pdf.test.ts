import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EMOTIONS } from "@emotion/protocol";
import { buildReport } from "./report";
import { renderReportPdf } from "./pdf";
import type { BucketRow } from "./types";

const row = (participantId: string, bucket: number, happy: number): BucketRow => {
  const p = EMOTIONS.map((e) => (e === "happy" ? happy : e === "neutral" ? 1 - happy : 0));
  return {
    participantId,
    bucket,
    readings: 2,
    faces: 2,
    classified: 2,
    sums: p.map((v) => v * 2),
    dominantCounts: p.map((v) => (v === Math.max(...p) ? 2 : 0)),
  };
};

describe("renderReportPdf", () => {
  it("writes a PDF holding the title, summary, key moments and every listener", async () => {
    const buckets = Array.from({ length: 40 }, (_, b) => [row("a", b, b < 20 ? 0.1 : 0.9), row("b", b, 0.2)]).flat();
    const report = buildReport({
      session: { id: "s", title: "Town hall Q3", status: "ended", startedAt: new Date(0), endedAt: new Date(200_000) },
      participants: [
        { id: "a", name: "Ada", kind: "live" },
        { id: "b", name: "Bo", kind: "live" },
      ],
      markers: [{ id: "m", label: "demo", tMs: 95_000 }],
      buckets,
      bucketMs: 5_000,
      durationMs: 200_000,
    });
    const pdf = await renderReportPdf(report);
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    const dir = mkdtempSync(join(tmpdir(), "report-pdf-"));
    const file = join(dir, "report.pdf");
    writeFileSync(file, pdf);
    const text = execFileSync("pdftotext", ["-layout", file, "-"], { encoding: "utf8" });
    expect(text).toContain("Town hall Q3");
    expect(text).toContain("Key moments");
    expect(text).toContain(report.keyMoments[0]!.description.slice(0, 30));
    expect(text).toContain("Ada");
    expect(text).toContain("Bo");
    expect(text).toContain("demo");
    if (process.env.REPORT_PDF_PNG) execFileSync("pdftoppm", ["-png", "-r", "60", file, process.env.REPORT_PDF_PNG]);
  });
});
