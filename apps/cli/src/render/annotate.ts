import type { FacePrediction } from "@emotion/protocol";
import type { RawImage } from "@emotion/vision";
import sharp from "sharp";
import { escapeXml, svgDocument } from "./svg";

function labelOf(face: FacePrediction): string {
  if (!face.dominant || !face.probabilities) return `no reading: ${face.quality.reason ?? "refused"}`;
  return `${face.dominant} ${Math.round(face.probabilities[face.dominant] * 100)}%`;
}

/** Writes the image as a PNG with each face's box and label drawn on it. */
export async function writeAnnotated(image: RawImage, faces: FacePrediction[], path: string): Promise<void> {
  const { width, height } = image;
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 200));
  const fontSize = Math.max(12, Math.round(Math.min(width, height) / 30));
  const parts = faces.map((face, i) => {
    const { x, y, width: w, height: h } = face.box;
    const colour = face.quality.ok ? "#22c55e" : "#f59e0b";
    const text = escapeXml(`${i + 1}. ${labelOf(face)}`);
    const labelWidth = Math.round(text.length * fontSize * 0.6 + fontSize * 0.6);
    const labelY = y - fontSize * 1.4 >= 0 ? y - fontSize * 1.4 : y + h;
    return (
      `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="${colour}" stroke-width="${stroke}"/>` +
      `<rect x="${x - stroke / 2}" y="${labelY}" width="${labelWidth}" height="${fontSize * 1.4}" fill="${colour}"/>` +
      `<text x="${x + fontSize * 0.3}" y="${labelY + fontSize * 1.05}" font-size="${fontSize}" fill="#000">${text}</text>`
    );
  });
  await sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), { raw: { width, height, channels: image.channels } })
    .composite([{ input: svgDocument(width, height, parts.join("")), top: 0, left: 0 }])
    .png()
    .toFile(path);
}
