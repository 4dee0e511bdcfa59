import { readFile } from "node:fs/promises";
import { AppError } from "@emotion/protocol";

/** The FER+ vote columns (Barsoum et al. 2016), in the file's order after `Usage,Image name`. */
export const FERPLUS_COLUMNS = ["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt", "unknown", "NF"] as const;
/** FER2013 class code (0 angry … 6 neutral) of each FER+ column; null: no FER2013 class (contempt, unknown, no face). */
const TO_FER2013: ReadonlyArray<number | null> = [6, 3, 5, 4, 0, 1, 2, null, null, null];
/** One image has 10 annotators; a cell above this is not a vote count. */
const MAX_VOTES = 100;

export interface FerPlusRow {
  usage: string;
  votes: number[];
}

/**
 * The FER+ majority label of one image in FER2013 order, or null when it has none: single votes are dropped
 * (one annotator's outlier), the top class needs more than half of the remaining votes, and an image whose
 * majority is contempt, unknown or no-face is dropped (FER2013 has no such class).
 */
export function majorityLabel(votes: readonly number[]): number | null {
  const kept = votes.map((v) => (v > 1 ? v : 0));
  const total = kept.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  let top = 0;
  for (let c = 1; c < kept.length; c++) if (kept[c]! > kept[top]!) top = c;
  if (kept[top]! * 2 <= total) return null;
  return TO_FER2013[top] ?? null;
}

/**
 * Reads a FER+ votes CSV (`Usage,Image name,neutral,…,NF`, one row per FER2013 row, same order).
 * Throws AppError VALIDATION_FAILED naming the line and column of a bad header or cell.
 */
export async function readFerPlusVotes(path: string): Promise<FerPlusRow[]> {
  const text = await readFile(path, "utf8");
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const fail = (line: number, message: string) => new AppError("VALIDATION_FAILED", `--ferplus ${path}:${line}: ${message}`);
  const header = (lines[0] ?? "").split(",").map((h) => h.trim());
  const expected = ["Usage", "Image name", ...FERPLUS_COLUMNS];
  if (header.join(",") !== expected.join(",")) throw fail(1, `expected the header '${expected.join(",")}', got '${(lines[0] ?? "").slice(0, 100)}'`);
  const rows: FerPlusRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === "") continue;
    const cells = raw.split(",");
    if (cells.length !== expected.length) throw fail(i + 1, `expected ${expected.length} columns, got ${cells.length}`);
    const votes = cells.slice(2).map((cell, k) => {
      const v = cell.trim() === "" ? 0 : Number(cell);
      if (!Number.isInteger(v) || v < 0 || v > MAX_VOTES)
        throw fail(i + 1, `column ${FERPLUS_COLUMNS[k]}: '${cell.slice(0, 20)}' is not a vote count 0..${MAX_VOTES}`);
      return v;
    });
    rows.push({ usage: cells[0]!.trim(), votes });
  }
  if (rows.length === 0) throw fail(2, "no vote rows");
  return rows;
}
