import sharp from "sharp";
import { escapeXml, svgDocument } from "./svg";

export interface Sample {
  /** Grey pixels, side*side. */
  pixels: Uint8Array;
  side: number;
  truth: string;
  predicted: string;
}

/**
 * Writes a grid of faces (nearest-neighbour upscaled) with true and predicted labels; wrong ones in red.
 * Each row of `rows` is one grid row.
 */
export async function writeSamplesPng(rows: Sample[][], path: string, scale = 2): Promise<void> {
  const columns = Math.max(1, ...rows.map((r) => r.length));
  const face = Math.max(1, ...rows.flat().map((s) => s.side)) * scale;
  const pad = 6;
  const labelHeight = 34;
  const cellW = face + pad * 2;
  const cellH = face + labelHeight + pad;
  const width = columns * cellW;
  const height = Math.max(1, rows.length) * cellH;
  const canvas = Buffer.alloc(width * height * 3, 255);
  const overlay: string[] = [];
  rows.forEach((row, r) =>
    row.forEach((s, c) => {
      const x0 = c * cellW + pad;
      const y0 = r * cellH + pad;
      for (let y = 0; y < s.side * scale; y++) {
        for (let x = 0; x < s.side * scale; x++) {
          const v = s.pixels[Math.floor(y / scale) * s.side + Math.floor(x / scale)] ?? 0;
          const o = ((y0 + y) * width + x0 + x) * 3;
          canvas[o] = canvas[o + 1] = canvas[o + 2] = v;
        }
      }
      const wrong = s.truth !== s.predicted;
      const colour = wrong ? "#dc2626" : "#15803d";
      overlay.push(`<rect x="${x0 - 2}" y="${y0 - 2}" width="${face + 4}" height="${face + 4}" fill="none" stroke="${colour}" stroke-width="3"/>`);
      overlay.push(`<text x="${x0}" y="${y0 + face + 14}" font-size="11" fill="#111">true: ${escapeXml(s.truth)}</text>`);
      overlay.push(`<text x="${x0}" y="${y0 + face + 28}" font-size="11" fill="${colour}" font-weight="bold">pred: ${escapeXml(s.predicted)}</text>`);
    }),
  );
  await sharp(canvas, { raw: { width, height, channels: 3 } })
    .composite([{ input: svgDocument(width, height, overlay.join("")), top: 0, left: 0 }])
    .png()
    .toFile(path);
}
