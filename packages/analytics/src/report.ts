import { EMOTIONS, type ListenerReport, type RoomPoint, type SessionReport } from "@emotion/protocol";
import { clusterListeners, type Trajectory } from "./clusters";
import { findKeyMoments, formatClock, MOMENT_SIGNALS, type MomentSeries } from "./moments";
import { Acc, argmax, mean, probs } from "./series";
import type { ReportInput } from "./types";

const NAMES: Record<string, string> = {
  angry: "anger",
  disgust: "disgust",
  fear: "fear",
  happy: "happiness",
  sad: "sadness",
  surprise: "surprise",
  neutral: "neutral expressions",
};

const CLUSTER_POINTS = 24;
const LISTENER_POINTS = 60;

/** Sums consecutive groups of `factor` cells. */
function mergeCells(cells: Acc[], factor: number): Acc[] {
  if (factor === 1) return cells;
  const out: Acc[] = [];
  cells.forEach((c, k) => {
    if (k % factor === 0) out.push(new Acc());
    out[out.length - 1]!.add(c);
  });
  return out;
}

/** Builds everything the report view, the JSON export and the PDF show, from the bucket rollup. */
export function buildReport(input: ReportInput): SessionReport {
  const { session, participants, markers, bucketMs, durationMs } = input;
  const maxPoints = input.maxPoints ?? 240;
  const lastBucket = Math.max(0, ...input.buckets.map((b) => b.bucket));
  const baseBuckets = Math.max(lastBucket + 1, Math.ceil(durationMs / bucketMs), 1);
  const factor = Math.max(1, Math.ceil(baseBuckets / maxPoints));
  const pointMs = bucketMs * factor;
  const nPoints = Math.ceil(baseBuckets / factor);
  const pointTimes = Array.from({ length: nPoints }, (_, i) => i * pointMs);

  // per listener, per point
  const index = new Map(participants.map((p, i) => [p.id, i]));
  const cells = participants.map(() => Array.from({ length: nPoints }, () => new Acc()));
  const totals = participants.map(() => new Acc());
  for (const row of input.buckets) {
    const i = index.get(row.participantId);
    if (i === undefined) continue;
    cells[i]![Math.floor(row.bucket / factor)]!.add(row);
    totals[i]!.add(row);
  }

  const room: RoomPoint[] = pointTimes.map((tMs, p) => {
    const acc = new Acc();
    const means: number[][] = [];
    let listeners = 0,
      present = 0;
    cells.forEach((row) => {
      const c = row[p]!;
      if (c.readings === 0) return;
      listeners++;
      if (c.faces > 0) present++;
      acc.add(c);
      const m = c.mean();
      if (m) means.push(m);
    });
    // each listener counts once per point, however many readings they sent
    const average = means.length ? probs(EMOTIONS.map((_, k) => mean(means.map((m) => m[k]!)))) : null;
    return { tMs, listeners, present, presence: Math.round(acc.presence() * 1e4) / 1e4, average };
  });

  // Clustering compares trajectories on a coarser grid: the shape of a talk, not its seconds (and 10x cheaper).
  const clusterFactor = Math.max(1, Math.ceil(nPoints / CLUSTER_POINTS));
  const trajectories: Trajectory[] = participants.map((p, i) => ({
    id: p.id,
    points: mergeCells(cells[i]!, clusterFactor).map((c) => c.mean()),
    overall: totals[i]!.mean() ?? [0, 0, 0, 0, 0, 0, 1],
  }));
  const { clusters, labelOf } = clusterListeners(
    trajectories,
    pointTimes.filter((_, k) => k % clusterFactor === 0),
  );
  // Small multiples need fewer points than the room chart; this keeps the report of 300 listeners small.
  const listenerFactor = Math.max(1, Math.ceil(nPoints / LISTENER_POINTS));

  const listeners: ListenerReport[] = participants.map((p, i) => {
    const t = totals[i]!;
    const dist = t.distribution();
    return {
      id: p.id,
      name: p.name,
      kind: p.kind,
      readings: t.readings,
      presence: Math.round(t.presence() * 1e4) / 1e4,
      dominant: t.classified > 0 ? EMOTIONS[argmax(dist)]! : null,
      distribution: probs(dist),
      clusterId: labelOf.get(p.id) ?? null,
      timeline: mergeCells(cells[i]!, listenerFactor).map((c, k) => {
        const m = c.mean();
        return {
          tMs: k * listenerFactor * pointMs,
          presence: Math.round(c.presence() * 1e4) / 1e4,
          average: m ? probs(m) : null,
          dominant: m ? EMOTIONS[argmax(m)]! : null,
        };
      }),
    };
  });

  const all = new Acc();
  totals.forEach((t) => all.add(t));
  const distribution = all.distribution();
  const window = Math.max(1, Math.min(Math.ceil(60_000 / pointMs), Math.floor(nPoints / 4)));
  const series: MomentSeries[] = MOMENT_SIGNALS.map((signal) => ({
    signal,
    values: room.map((r) => (signal === "presence" ? (r.listeners ? r.presence : null) : (r.average?.[signal] ?? null))),
  }));
  const keyMoments = nPoints >= 2 ? findKeyMoments(series, pointTimes, window, markers) : [];
  const active = listeners.filter((l) => l.readings > 0);
  const presence = active.length ? mean(active.map((l) => l.presence)) : 0;
  const dominant = all.classified > 0 ? EMOTIONS[argmax(distribution)]! : null;

  const report: SessionReport = {
    v: 1,
    session: {
      id: session.id,
      title: session.title,
      status: session.status,
      startedAt: session.startedAt?.toISOString() ?? null,
      endedAt: session.endedAt?.toISOString() ?? null,
      durationMs,
    },
    bucketMs: pointMs,
    listenerCount: participants.length,
    readingCount: all.readings,
    presence: Math.round(presence * 1e4) / 1e4,
    distribution: probs(distribution),
    dominant,
    markers: [...markers].sort((a, b) => a.tMs - b.tMs),
    room,
    listeners,
    keyMoments,
    clusters,
    summary: "",
    generatedAt: (input.now ?? new Date()).toISOString(),
  };
  report.summary = summarise(report);
  return report;
}

function summarise(r: SessionReport): string {
  if (r.readingCount === 0) return `No readings were recorded in “${r.session.title}”.`;
  const top = EMOTIONS.map((e) => [e, r.distribution[e]] as const).sort((a, b) => b[1] - a[1]);
  const parts = [
    `Over ${formatClock(r.session.durationMs)}, ${r.listenerCount} ${r.listenerCount === 1 ? "listener was" : "listeners were"} measured; a face was seen ${Math.round(r.presence * 100)}% of the time.`,
    `The room was mostly ${NAMES[top[0]![0]]} (${Math.round(top[0]![1] * 100)}% of readings)` +
      (top[1]![1] >= 0.05 ? `, then ${NAMES[top[1]![0]]} (${Math.round(top[1]![1] * 100)}%).` : "."),
  ];
  const biggest = [...r.keyMoments].sort((a, b) => Math.abs(b.deltaPoints) - Math.abs(a.deltaPoints))[0];
  if (biggest) parts.push(`Biggest moment: ${biggest.description.charAt(0).toLowerCase()}${biggest.description.slice(1)}`);
  if (r.clusters.length > 1) parts.push(`Listeners fell into ${r.clusters.length} groups with different trajectories.`);
  return parts.join(" ");
}
