import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { AppError } from "@emotion/protocol";

/** FER2013 faces are 48x48 grey. */
export const FER_SIDE = 48;
const PIXELS = FER_SIDE * FER_SIDE;

export interface FerRow {
  /** 1-based line number in the (decompressed) file. */
  line: number;
  /** Class code 0..6 in FER2013 order. */
  emotion: number;
  pixels: Uint8Array;
  usage: string;
}

async function isGzip(path: string): Promise<boolean> {
  const handle = await open(path, "r");
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/** Parses "70 80 82 ..." into exactly 2,304 bytes; returns an error message instead on bad input. */
export function parsePixels(text: string): Uint8Array | string {
  const out = new Uint8Array(PIXELS);
  let count = 0;
  let value = -1;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 32;
    if (c >= 48 && c <= 57) {
      value = (value < 0 ? 0 : value * 10) + (c - 48);
      if (value > 255) return `pixel ${count + 1} is above 255`;
    } else if (c === 32 || c === 9) {
      if (value >= 0) {
        if (count === PIXELS) return `more than ${PIXELS} pixels`;
        out[count++] = value;
        value = -1;
      }
    } else {
      return `pixel ${count + 1} is not an integer 0..255 (found '${text[i]}')`;
    }
  }
  if (count !== PIXELS) return `expected ${PIXELS} pixels (48x48), got ${count}`;
  return out;
}

/**
 * Streams a FER2013-format CSV (plain or gzip, detected by magic bytes): header `emotion,pixels,Usage`.
 * Throws AppError VALIDATION_FAILED naming the line on a bad header or row. `onBytes` reports file bytes read.
 */
export async function* readFerCsv(path: string, onBytes?: (bytesRead: number) => void): AsyncGenerator<FerRow> {
  const gzip = await isGzip(path);
  // Everything below attaches synchronously: a listener added after an await could miss the first chunks.
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  if (onBytes) file.on("data", () => onBytes(file.bytesRead));
  const text: Readable = gzip ? file.pipe(createGunzip()) : file;
  file.on("error", (e) => text.destroy(e));
  const lines = createInterface({ input: text, crlfDelay: Infinity });
  const fail = (line: number, message: string) => new AppError("VALIDATION_FAILED", `${path}:${line}: ${message}`);
  let line = 0;
  let hasUsage = true;
  try {
    for await (const raw of lines) {
      line++;
      if (line === 1) {
        const header = raw
          .replace(/^\uFEFF/, "")
          .split(",")
          .map((h) => h.trim());
        if (header[0] !== "emotion" || header[1] !== "pixels" || (header.length > 2 && header[2] !== "Usage"))
          throw fail(1, `expected the header 'emotion,pixels,Usage', got '${raw.slice(0, 60)}'`);
        hasUsage = header.length > 2;
        continue;
      }
      if (raw.trim() === "") continue;
      const first = raw.indexOf(",");
      const last = hasUsage ? raw.lastIndexOf(",") : raw.length;
      if (first < 0 || last <= first) throw fail(line, `expected ${hasUsage ? 3 : 2} comma-separated columns`);
      const code = raw.slice(0, first).trim();
      if (!/^[0-6]$/.test(code)) throw fail(line, `emotion '${code.slice(0, 20)}' is not an integer 0..6`);
      const pixels = parsePixels(raw.slice(first + 1, last));
      if (typeof pixels === "string") throw fail(line, pixels);
      yield { line, emotion: Number(code), pixels, usage: hasUsage ? raw.slice(last + 1).trim() : "" };
    }
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError("CORRUPT_IMAGE", `${path}: cannot read the CSV: ${(e as Error).message}`);
  } finally {
    lines.close();
    file.destroy();
  }
  if (line === 0) throw fail(1, "the file is empty; expected the header 'emotion,pixels,Usage'");
}
