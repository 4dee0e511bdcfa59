import { spawnSync } from "node:child_process";
import { createReadStream, existsSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createGunzip } from "node:zlib";
import { resolveFfmpeg } from "@emotion/vision/video";

export const SHARED_FER = resolve(dirname(fileURLToPath(import.meta.url)), "../../../../shared/data/fer2013/fer2013.csv.gz");

/**
 * Writes a FER2013-format CSV of `count` PublicTest rows (plus 3 Training rows): the first real PublicTest rows
 * when ../shared has FER2013, else generated faces-shaped noise. Returns whether the rows are real.
 */
export async function writeSmallFerCsv(path: string, count: number): Promise<boolean> {
  const rows: string[] = [];
  const training: string[] = [];
  if (existsSync(SHARED_FER)) {
    const lines = createInterface({ input: createReadStream(SHARED_FER).pipe(createGunzip()), crlfDelay: Infinity });
    for await (const line of lines) {
      if (training.length < 3 && line.endsWith(",Training")) training.push(line);
      if (line.endsWith(",PublicTest")) rows.push(line);
      if (rows.length === count) break;
    }
    lines.close();
  }
  const real = rows.length === count;
  if (!real) {
    rows.length = 0;
    training.length = 0;
    let seed = 1;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) >> 16) & 255;
    const row = (i: number, usage: string) => `${i % 7},${Array.from({ length: 48 * 48 }, next).join(" ")},${usage}`;
    for (let i = 0; i < count; i++) rows.push(row(i, "PublicTest"));
    for (let i = 0; i < 3; i++) training.push(row(i, "Training"));
  }
  writeFileSync(path, ["emotion,pixels,Usage", ...training, ...rows].join("\n") + "\n");
  return real;
}

/** Makes a short H.264 video (2 s per photo, 640x480 letterboxed) from still photos. */
export function writeVideo(path: string, photos: string[]): void {
  const inputs = photos.flatMap((p) => ["-loop", "1", "-t", "2", "-i", p]);
  const scale = "scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,setsar=1";
  const chains = photos.map((_, i) => `[${i}]${scale}[v${i}]`).join(";");
  const concat = `${photos.map((_, i) => `[v${i}]`).join("")}concat=n=${photos.length}:v=1,format=yuv420p`;
  const r = spawnSync(resolveFfmpeg(), ["-hide_banner", "-loglevel", "error", "-y", ...inputs, "-filter_complex", `${chains};${concat}`, "-r", "10", path]);
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr.toString()}`);
}
