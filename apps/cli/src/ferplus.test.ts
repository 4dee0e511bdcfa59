import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { majorityLabel, readFerPlusVotes } from "./ferplus";

const HEADER = "Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF";
const tmp = mkdtempSync(join(tmpdir(), "ferplus-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// FER2013 codes: 0 angry, 1 disgust, 2 fear, 3 happy, 4 sad, 5 surprise, 6 neutral
const cases: Array<[string, string, number | null]> = [
  ["a clear happy majority", "0,8,1,1,0,0,0,0,0,0", 3],
  ["single votes dropped: 4 of the 7 remaining is a majority", "4,0,0,3,1,1,1,0,0,0", 6],
  ["without dropping singles 5 of 10 is not more than half; with it 5 of 7 is", "5,0,0,2,1,1,1,0,0,0", 6],
  ["a tie of 4 and 4 has no majority", "4,0,0,4,1,0,0,0,1,0", null],
  ["exactly half is not more than half", "3,0,0,3,0,0,0,0,0,0", null],
  ["anger maps to angry", "0,0,0,0,6,2,2,0,0,0", 0],
  ["disgust, fear, surprise, sadness map by name", "0,0,0,0,0,7,0,0,3,0", 1],
  ["fear", "0,0,3,0,0,0,7,0,0,0", 2],
  ["sadness", "2,0,0,8,0,0,0,0,0,0", 4],
  ["surprise", "0,2,8,0,0,0,0,0,0,0", 5],
  ["a contempt majority is dropped", "2,0,0,0,0,0,0,8,0,0", null],
  ["an unknown majority is dropped", "1,1,1,0,0,0,0,0,7,0", null],
  ["a no-face majority is dropped", "0,0,0,0,0,0,0,0,0,10", null],
  ["only single votes: nothing left", "1,1,1,1,1,1,1,1,1,1", null],
];

describe("majorityLabel (FER+ majority rule)", () => {
  it.each(cases)("%s", (_what, votes, expected) => {
    expect(majorityLabel(votes.split(",").map(Number))).toBe(expected);
  });
});

describe("readFerPlusVotes", () => {
  it("reads a handcrafted votes file row by row, blank cells as 0", async () => {
    const path = join(tmp, "votes.csv");
    const body = cases.map(([, votes], i) => `${i < 10 ? "Training" : "PublicTest"},fer${i}.png,${votes}`);
    writeFileSync(path, [HEADER, ...body, "PublicTest,,,,,,,,,,,10", ""].join("\n"));
    const rows = await readFerPlusVotes(path);
    expect(rows).toHaveLength(cases.length + 1);
    expect(rows.map((r) => majorityLabel(r.votes))).toEqual([...cases.map((c) => c[2]), null]);
    expect(rows[0]?.usage).toBe("Training");
    expect(rows.at(-1)).toEqual({ usage: "PublicTest", votes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 10] });
  });

  it.each([
    ["a wrong header", "Usage,Image name,neutral,happy\n", /votes\.csv:1: expected the header 'Usage,Image name,neutral,happiness/],
    ["a missing column", `${HEADER}\nTraining,a.png,1,2,3\n`, /votes\.csv:2: expected 12 columns, got 5/],
    [
      "a negative count",
      `${HEADER}\nTraining,a.png,0,0,0,0,0,0,0,0,0,0\nTraining,b.png,1,-2,0,0,0,0,0,0,0,0\n`,
      /votes\.csv:3: column happiness: '-2' is not a vote count 0\.\.100/,
    ],
    ["a non-integer count", `${HEADER}\nTraining,a.png,1,2,x,0,0,0,0,0,0,0\n`, /votes\.csv:2: column surprise: 'x' is not a vote count/],
    ["no rows", `${HEADER}\n`, /no vote rows/],
  ])("rejects %s, naming the line and column", async (_what, text, message) => {
    const path = join(tmp, "votes.csv");
    writeFileSync(path, text);
    await expect(readFerPlusVotes(path)).rejects.toThrow(message);
    await expect(readFerPlusVotes(path)).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
  });
});
