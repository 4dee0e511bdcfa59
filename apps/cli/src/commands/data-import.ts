import { readdirSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Db, SampleInput } from "@emotion/db";
import { AppError, EMOTIONS, type Emotion } from "@emotion/protocol";
import { cropFace } from "@emotion/vision";
import { decodeImage, loadVision, sniffImageType } from "@emotion/vision/node";
import { FER_SIDE, readFerCsv } from "../fer-csv";
import { startProgress } from "../output";

export interface ImportReport {
  source: string;
  added: number;
  /** The same image is stored already, or was removed before (a removed sample is never used again). */
  skipped: Array<string | null>;
  /** Images in which no face was found. */
  noFace: string[];
  /** Images with more than one face: which one the label means is unknown. */
  manyFaces: string[];
  /** Files that are not JPEG, PNG or WebP images. */
  notImages: string[];
}

const BATCH = 2000;

/** Adds a FER-format CSV (emotion 0..6, 2,304 pixels, optional Usage) as one source, streamed. */
export async function importFerCsv(db: Db, path: string, source: string): Promise<ImportReport> {
  const report: ImportReport = { source, added: 0, skipped: [], noFace: [], manyFaces: [], notImages: [] };
  let batch: SampleInput[] = [];
  const flush = async () => {
    const r = await db.addSamples(source, batch);
    report.added += r.added;
    report.skipped.push(...r.skipped);
    batch = [];
  };
  // Checked whole before anything is stored: a bad row halfway must not leave half a source behind.
  for await (const row of readFerCsv(path)) void row;
  for await (const row of readFerCsv(path)) {
    batch.push({ label: EMOTIONS[row.emotion]!, pixels: row.pixels, origin: `${basename(path)}:${row.line}` });
    if (batch.length === BATCH) await flush();
  }
  if (batch.length) await flush();
  return report;
}

/** The images of a folder of subfolders named by emotion; anything else there is an error, so a misspelt folder is not silently left out. */
function listLabelledImages(dir: string): Array<{ label: Emotion; path: string; origin: string }> {
  const files: Array<{ label: Emotion; path: string; origin: string }> = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue;
    const label = entry.name.toLowerCase() as Emotion;
    if (!entry.isDirectory() || !EMOTIONS.includes(label))
      throw new AppError(
        "VALIDATION_FAILED",
        `${join(dir, entry.name)}: expected only subfolders named by emotion (${EMOTIONS.join(", ")}), each holding images`,
      );
    for (const file of readdirSync(join(dir, entry.name)).sort()) {
      const path = join(dir, entry.name, file);
      if (!file.startsWith(".") && statSync(path).isFile()) files.push({ label, path, origin: `${entry.name}/${file}` });
    }
  }
  if (files.length === 0) throw new AppError("VALIDATION_FAILED", `${dir}: no images in subfolders named by emotion (${EMOTIONS.join(", ")})`);
  return files;
}

/**
 * Adds a folder of labelled photos: each face is found and cropped exactly as `emotion predict` and the live
 * pipeline do (BlazeFace, eye-aligned grey crop), at the training data's 48×48.
 */
export async function importFolder(db: Db, dir: string, source: string): Promise<ImportReport> {
  const files = listLabelledImages(dir);
  const report: ImportReport = { source, added: 0, skipped: [], noFace: [], manyFaces: [], notImages: [] };
  const vision = await loadVision();
  const progress = startProgress("images", files.length);
  const samples: SampleInput[] = [];
  try {
    for (const [i, file] of files.entries()) {
      progress.update(i + 1, { detail: file.origin });
      const bytes = await readFile(file.path);
      if (!sniffImageType(bytes)) {
        report.notImages.push(file.origin);
        continue;
      }
      const image = await decodeImage(bytes).catch(() => null);
      if (!image) {
        report.notImages.push(file.origin);
        continue;
      }
      const faces = await vision.detectFaces(image);
      if (faces.length === 0) report.noFace.push(file.origin);
      else if (faces.length > 1) report.manyFaces.push(file.origin);
      else samples.push({ label: file.label, pixels: cropFace(image, faces[0]!, FER_SIDE).pixels, origin: file.origin });
    }
  } finally {
    progress.stop();
    await vision.release();
  }
  if (samples.length) {
    const r = await db.addSamples(source, samples);
    report.added = r.added;
    report.skipped = r.skipped;
  }
  return report;
}
