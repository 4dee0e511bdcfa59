import type { Cluster, Emotion, ListenerPoint, ListenerReport, Probabilities, RoomPoint, SessionReport } from "@emotion/protocol";
import { EMOTIONS } from "../shared/emotions";

/** One chart row: a bucket's start (ms from the session start) and its mean probabilities, null in a gap. */
export type EmotionRow = { tMs: number } & { [K in Emotion]: number | null };
export type RoomRow = EmotionRow & { listeners: number; present: number; presence: number };

/** The part of the session the charts show, and the band around a key moment they highlight. */
export interface TimeWindow {
  from: number;
  to: number;
}
export interface Focus extends TimeWindow {
  tMs: number;
  highlight: TimeWindow;
}

function emotionsOf(average: Probabilities | null): { [K in Emotion]: number | null } {
  const out = {} as { [K in Emotion]: number | null };
  for (const e of EMOTIONS) out[e] = average ? average[e] : null;
  return out;
}

/**
 * Buckets hold averages over their whole span, so a row is repeated at the end of the last bucket:
 * the chart then covers the session up to its end instead of stopping at the last bucket's start.
 */
function closeRows<T extends { tMs: number }>(rows: T[], bucketMs: number, endMs: number): T[] {
  const last = rows[rows.length - 1];
  if (!last) return rows;
  const end = Math.max(last.tMs + 1, Math.min(last.tMs + bucketMs, endMs));
  return [...rows, { ...last, tMs: end }];
}

export function roomRows(report: SessionReport): RoomRow[] {
  const rows = report.room.map((p: RoomPoint) => ({ tMs: p.tMs, listeners: p.listeners, present: p.present, presence: p.presence, ...emotionsOf(p.average) }));
  return closeRows(rows, report.bucketMs, timeEnd(report));
}

export function listenerRows(timeline: ListenerPoint[], bucketMs: number, endMs: number): EmotionRow[] {
  return closeRows(
    timeline.map((p) => ({ tMs: p.tMs, ...emotionsOf(p.average) })),
    bucketMs,
    endMs,
  );
}

/** The end of every time axis: the session's duration, or the last bucket's end when that is later. */
export function timeEnd(report: SessionReport): number {
  const last = report.room[report.room.length - 1];
  return Math.max(report.session.durationMs, last ? last.tMs + report.bucketMs : 0, 1000);
}

/**
 * The view the charts jump to for a moment at `tMs`: about an eighth of the session either side
 * (at least 30 s, or all of a short session), with the moment's own bucket highlighted.
 */
export function focusAt(tMs: number, endMs: number, bucketMs: number): Focus {
  const span = Math.max(30_000, endMs / 8);
  const from = Math.max(0, tMs - span);
  const to = Math.min(endMs, tMs + span);
  const half = Math.max(bucketMs, (to - from) / 40);
  return { tMs, from, to, highlight: { from: Math.max(from, tMs - half), to: Math.min(to, tMs + half) } };
}

/** Rows inside the view plus one on each side, so areas reach the view's edges. */
export function clipRows<T extends { tMs: number }>(rows: T[], view: TimeWindow | null): T[] {
  if (!view) return rows;
  let first = rows.findIndex((r) => r.tMs >= view.from);
  if (first === -1) first = rows.length;
  let last = rows.length - 1;
  while (last >= 0 && rows[last]!.tMs > view.to) last--;
  return rows.slice(Math.max(0, first - 1), Math.min(rows.length, last + 2));
}

const GROUP_COLORS = ["#2f5d8a", "#b5477d", "#14866d", "#8a5a2b", "#5b4bb7", "#c0612b", "#4b7d2a", "#7a7f8c"];

/** A colour per group (cluster), distinct from the emotion colours' roles: used for borders and swatches. */
export function groupColor(index: number): string {
  return GROUP_COLORS[index % GROUP_COLORS.length]!;
}

export interface GroupInfo {
  cluster: Cluster;
  /** 1-based number shown to people. */
  number: number;
  color: string;
  members: ListenerReport[];
}

/** Groups in the order the server gives them, with their members resolved and a colour each. */
export function groupsOf(report: SessionReport): Map<number, GroupInfo> {
  const byId = new Map(report.listeners.map((l) => [l.id, l]));
  return new Map(
    report.clusters.map((cluster, i) => [
      cluster.id,
      { cluster, number: i + 1, color: groupColor(i), members: cluster.memberIds.flatMap((id) => byId.get(id) ?? []) },
    ]),
  );
}

/** True when the session has at least one classified reading to chart. */
export function hasReadings(report: SessionReport): boolean {
  return report.readingCount > 0 && report.room.some((p) => p.listeners > 0);
}
