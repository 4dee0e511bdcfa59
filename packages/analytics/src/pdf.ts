import PDFDocument from "pdfkit";
import { EMOTIONS, EMOTION_COLORS, type SessionReport } from "@emotion/protocol";

import { formatClock } from "./moments";

const MARGIN = 40;
const PAGE_W = 595.28; // A4
const INK = "#1f2933";
const MUTED = "#616e7c";

type Doc = PDFKit.PDFDocument;

interface Frame {
  x: number;
  y: number;
  w: number;
  h: number;
}

function axisTime(doc: Doc, f: Frame, durationMs: number, labels = true): void {
  doc.save().lineWidth(0.5).strokeColor("#cbd2d9").rect(f.x, f.y, f.w, f.h).stroke().restore();
  if (!labels) return;
  doc.fontSize(7).fillColor(MUTED);
  for (let i = 0; i <= 4; i++) {
    const t = (durationMs * i) / 4;
    doc.text(formatClock(t), f.x + (f.w * i) / 4 - 15, f.y + f.h + 2, { width: 30, align: "center" });
  }
}

function markers(doc: Doc, f: Frame, report: SessionReport, durationMs: number, withLabels: boolean): void {
  for (const m of report.markers) {
    const x = f.x + (f.w * m.tMs) / Math.max(1, durationMs);
    doc
      .save()
      .lineWidth(0.7)
      .dash(2, { space: 2 })
      .strokeColor("#52606d")
      .moveTo(x, f.y)
      .lineTo(x, f.y + f.h)
      .stroke()
      .undash()
      .restore();
    if (withLabels)
      doc
        .fontSize(6)
        .fillColor("#52606d")
        .text(m.label, x + 2, f.y + 2, { width: 60, lineBreak: false });
  }
}

/** Stacked areas of the mean probabilities over time (gaps drawn as empty). */
function stackedArea(doc: Doc, f: Frame, points: Array<{ tMs: number; average: Record<string, number> | null }>, durationMs: number): void {
  const span = Math.max(1, durationMs);
  const step = points.length > 1 ? points[1]!.tMs - points[0]!.tMs : span;
  const base = points.map(() => 0);
  for (const e of EMOTIONS) {
    doc.save().fillColor(EMOTION_COLORS[e]).fillOpacity(0.9);
    points.forEach((p, i) => {
      if (!p.average) return;
      const v = p.average[e] ?? 0;
      const x0 = f.x + (f.w * p.tMs) / span;
      const x1 = f.x + (f.w * Math.min(span, p.tMs + step)) / span;
      const y1 = f.y + f.h * (1 - base[i]!);
      const y0 = f.y + f.h * (1 - base[i]! - v);
      doc.rect(x0, y0, Math.max(0.3, x1 - x0), y1 - y0).fill();
      base[i]! += v;
    });
    doc.restore();
  }
}

function legend(doc: Doc, x: number, y: number): void {
  let cx = x;
  doc.fontSize(8);
  for (const e of EMOTIONS) {
    doc
      .save()
      .fillColor(EMOTION_COLORS[e])
      .rect(cx, y + 1, 8, 8)
      .fill()
      .restore();
    doc.fillColor(INK).text(e, cx + 11, y, { lineBreak: false });
    cx += 20 + doc.widthOfString(e);
  }
}

function heading(doc: Doc, text: string): void {
  if (doc.y > 760) doc.addPage();
  doc.moveDown(0.8).fontSize(13).fillColor(INK).font("Helvetica-Bold").text(text, MARGIN).font("Helvetica").moveDown(0.3);
}

/** Renders the report as a printable A4 PDF: summary, charts with markers, key moments, groups, listeners. */
export function renderReportPdf(report: SessionReport): Promise<Buffer> {
  const doc = new PDFDocument({ size: "A4", margin: MARGIN, info: { Title: `Report: ${report.session.title}` } });
  const chunks: Buffer[] = [];
  doc.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });
  const width = PAGE_W - 2 * MARGIN;
  const dur = Math.max(report.session.durationMs, report.room.length * report.bucketMs);

  doc.font("Helvetica-Bold").fontSize(20).fillColor(INK).text(report.session.title);
  doc
    .font("Helvetica")
    .fontSize(9)
    .fillColor(MUTED)
    .text(
      `${report.session.status} · ${formatClock(report.session.durationMs)} · ${report.listenerCount} listeners · ${report.readingCount.toLocaleString("en")} readings · presence ${Math.round(report.presence * 100)}%`,
    )
    .text(`Started ${report.session.startedAt ?? "-"} · generated ${report.generatedAt}`);
  doc.moveDown(0.6).fontSize(10).fillColor(INK).text(report.summary, { width });

  heading(doc, "Room emotion over time");
  legend(doc, MARGIN, doc.y);
  const area = { x: MARGIN, y: doc.y + 16, w: width, h: 150 };
  stackedArea(doc, area, report.room, dur);
  axisTime(doc, area, dur);
  markers(doc, area, report, dur, true);
  doc.y = area.y + area.h + 16;

  heading(doc, "Listeners and presence");
  const pres = { x: MARGIN, y: doc.y + 4, w: width, h: 70 };
  const maxListeners = Math.max(1, ...report.room.map((r) => r.listeners));
  doc.save().lineWidth(1.2).strokeColor("#3d7ebf");
  report.room.forEach((r, i) => {
    const x = pres.x + (pres.w * r.tMs) / dur,
      y = pres.y + 4 + (pres.h - 8) * (1 - r.listeners / maxListeners);
    if (i === 0) doc.moveTo(x, y);
    else doc.lineTo(x, y);
  });
  doc.stroke().strokeColor("#2fb59c");
  report.room.forEach((r, i) => {
    const x = pres.x + (pres.w * r.tMs) / dur,
      y = pres.y + 4 + (pres.h - 8) * (1 - r.presence);
    if (i === 0) doc.moveTo(x, y);
    else doc.lineTo(x, y);
  });
  doc.stroke().restore();
  axisTime(doc, pres, dur);
  markers(doc, pres, report, dur, false);
  doc
    .fontSize(7)
    .fillColor("#3d7ebf")
    .text(`listeners (max ${maxListeners})`, pres.x + 4, pres.y + 4, { lineBreak: false });
  doc.fillColor("#2fb59c").text("presence (share with a face)", pres.x + 110, pres.y + 4, { lineBreak: false });
  doc.y = pres.y + pres.h + 16;

  heading(doc, "Distribution per emotion");
  const barTop = doc.y;
  EMOTIONS.forEach((e, i) => {
    const y = barTop + i * 14;
    const v = report.distribution[e];
    doc.fontSize(8).fillColor(INK).text(e, MARGIN, y, { width: 60, lineBreak: false });
    doc
      .save()
      .fillColor(EMOTION_COLORS[e])
      .rect(MARGIN + 62, y, (width - 110) * v, 9)
      .fill()
      .restore();
    doc.fillColor(MUTED).text(`${(v * 100).toFixed(1)}%`, MARGIN + 66 + (width - 110) * v, y, { lineBreak: false });
  });
  doc.y = barTop + EMOTIONS.length * 14 + 6;

  heading(doc, "Key moments");
  if (!report.keyMoments.length) doc.fontSize(9).fillColor(MUTED).text("No sustained shift of the room.", MARGIN);
  for (const m of report.keyMoments)
    doc
      .fontSize(9)
      .fillColor(INK)
      .text(`${formatClock(m.tMs)}  ${m.description}`, MARGIN, undefined, { width });

  heading(doc, "Groups of listeners");
  if (!report.clusters.length) doc.fontSize(9).fillColor(MUTED).text("Not enough readings to group listeners.", MARGIN);
  for (const c of report.clusters)
    doc
      .fontSize(9)
      .fillColor(INK)
      .text(`Group ${c.id + 1}: ${c.summary}`, MARGIN, undefined, { width });

  heading(doc, "Listeners");
  const cols = 3,
    cellW = (width - (cols - 1) * 10) / cols,
    cellH = 46;
  const shown = report.listeners.slice(0, 60);
  shown.forEach((l, i) => {
    const col = i % cols;
    if (col === 0 && doc.y + cellH + 14 > 800) doc.addPage();
    const top = col === 0 ? doc.y : doc.y - cellH - 14;
    const f = { x: MARGIN + col * (cellW + 10), y: top + 10, w: cellW, h: cellH - 10 };
    doc
      .fontSize(7)
      .fillColor(INK)
      .text(`${l.name} · ${l.dominant ?? "no reading"} · presence ${Math.round(l.presence * 100)}%`, f.x, top, { width: cellW, lineBreak: false });
    stackedArea(doc, f, l.timeline, dur);
    axisTime(doc, f, dur, false);
    markers(doc, f, report, dur, false);
    doc.y = top + cellH + 14;
  });
  if (report.listeners.length > shown.length)
    doc
      .fontSize(8)
      .fillColor(MUTED)
      .text(`… and ${report.listeners.length - shown.length} more listeners (see the CSV export).`, MARGIN);
  doc.end();
  return done;
}
