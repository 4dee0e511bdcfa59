import sharp from "sharp";
import { escapeXml, svgDocument } from "./svg";

/** Renders a confusion matrix (rows true, columns predicted) as a PNG heat map, shaded by row share. */
export async function writeConfusionPng(confusion: number[][], classNames: readonly string[], title: string, path: string): Promise<void> {
  const cell = 72;
  const left = 110;
  const top = 120;
  const k = classNames.length;
  const width = left + k * cell + 20;
  const height = top + k * cell + 50;
  const parts = [
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="28" font-size="18" text-anchor="middle" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${left + (k * cell) / 2}" y="58" font-size="14" text-anchor="middle">predicted</text>`,
    `<text x="22" y="${top + (k * cell) / 2}" font-size="14" text-anchor="middle" transform="rotate(-90 22 ${top + (k * cell) / 2})">true</text>`,
  ];
  classNames.forEach((name, j) => {
    const x = left + j * cell + cell / 2;
    parts.push(`<text x="${x}" y="${top - 12}" font-size="13" text-anchor="middle">${escapeXml(name)}</text>`);
    parts.push(`<text x="${left - 10}" y="${top + j * cell + cell / 2 + 5}" font-size="13" text-anchor="end">${escapeXml(name)}</text>`);
  });
  confusion.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, j) => {
      const share = total ? count / total : 0;
      // white -> deep blue; text flips to white on dark cells
      const shade = (c0: number, c1: number) => Math.round(c0 + (c1 - c0) * share);
      const fill = `rgb(${shade(255, 8)},${shade(255, 48)},${shade(255, 107)})`;
      const x = left + j * cell;
      const y = top + i * cell;
      const ink = share > 0.5 ? "#fff" : "#111";
      parts.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="#ccc"/>`);
      parts.push(`<text x="${x + cell / 2}" y="${y + cell / 2}" font-size="15" text-anchor="middle" fill="${ink}">${count}</text>`);
      parts.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 17}" font-size="11" text-anchor="middle" fill="${ink}">${(share * 100).toFixed(0)}%</text>`);
    });
  });
  parts.push(`<text x="${left}" y="${height - 16}" font-size="12" fill="#555">rows: true class (shade = share of the row); columns: predicted class</text>`);
  await sharp(svgDocument(width, height, parts.join("")))
    .flatten({ background: "#fff" })
    .png()
    .toFile(path);
}
