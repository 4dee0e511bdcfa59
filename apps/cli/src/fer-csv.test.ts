import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { parsePixels, readFerCsv } from "./fer-csv";

const pixels = (v: number) => Array.from({ length: 2304 }, () => v).join(" ");

describe("parsePixels", () => {
  it("parses 2,304 grey values", () => {
    const p = parsePixels(pixels(7));
    expect(p).toBeInstanceOf(Uint8Array);
    expect((p as Uint8Array).every((v) => v === 7)).toBe(true);
  });
  it("says what is wrong", () => {
    expect(parsePixels("1 2 3")).toBe("expected 2304 pixels (48x48), got 3");
    expect(parsePixels("1 256")).toBe("pixel 2 is above 255");
    expect(parsePixels("1 x")).toMatch(/pixel 2 is not an integer/);
  });
});

describe("readFerCsv", () => {
  it("reads plain and gzip files alike", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fer-csv-"));
    const text = `emotion,pixels,Usage\n3,${pixels(1)},Training\n5,${pixels(2)},PublicTest\n`;
    writeFileSync(join(dir, "a.csv"), text);
    writeFileSync(join(dir, "a.csv.gz"), gzipSync(text));
    for (const name of ["a.csv", "a.csv.gz"]) {
      const rows = [];
      for await (const r of readFerCsv(join(dir, name))) rows.push([r.line, r.emotion, r.usage, r.pixels[0]]);
      expect(rows).toEqual([
        [2, 3, "Training", 1],
        [3, 5, "PublicTest", 2],
      ]);
    }
  });
});
