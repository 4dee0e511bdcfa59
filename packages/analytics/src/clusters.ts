import { EMOTIONS, type Cluster } from "@emotion/protocol";
import { argmax, K, probs } from "./series";

export interface Trajectory {
  id: string;
  /** Mean probabilities per timeline point (EMOTIONS order), null where the listener gave no reading. */
  points: Array<number[] | null>;
  /** The listener's overall mean probabilities; fills the gaps so absence does not pull listeners together. */
  overall: number[];
}

/** Deterministic pseudo-random numbers (mulberry32), so reports are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function dist2(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s;
}

export function featuresOf(t: Trajectory): Float64Array {
  const f = new Float64Array(t.points.length * K);
  t.points.forEach((p, i) => f.set(p ?? t.overall, i * K));
  return f;
}

/** k-means with k-means++ seeding (seeded), a few restarts; returns labels and the within-cluster sum of squares. */
export function kmeans(xs: Float64Array[], k: number, seed = 1, restarts = 4): { labels: number[]; sse: number } {
  let best = { labels: xs.map(() => 0), sse: Infinity };
  const rand = rng(seed);
  for (let r = 0; r < restarts; r++) {
    const centres: Float64Array[] = [Float64Array.from(xs[Math.floor(rand() * xs.length)]!)];
    while (centres.length < k) {
      const d = xs.map((x) => Math.min(...centres.map((c) => dist2(x, c))));
      const total = d.reduce((a, b) => a + b, 0);
      let pick = rand() * total,
        i = 0;
      while (i < d.length - 1 && (pick -= d[i]!) > 0) i++;
      centres.push(Float64Array.from(xs[i]!));
    }
    let labels = xs.map(() => 0);
    for (let iter = 0; iter < 50; iter++) {
      const next = xs.map((x) => {
        let bi = 0,
          bd = Infinity;
        centres.forEach((c, j) => {
          const dd = dist2(x, c);
          if (dd < bd) {
            bd = dd;
            bi = j;
          }
        });
        return bi;
      });
      const changed = next.some((l, i) => l !== labels[i]);
      labels = next;
      centres.forEach((c, j) => {
        const members = xs.filter((_, i) => labels[i] === j);
        if (!members.length) return;
        c.fill(0);
        for (const m of members) for (let i = 0; i < c.length; i++) c[i]! += m[i]! / members.length;
      });
      if (!changed && iter > 0) break;
    }
    const sse = xs.reduce((s, x, i) => s + dist2(x, centres[labels[i]!]!), 0);
    if (sse < best.sse) best = { labels, sse };
  }
  return best;
}

/** Mean silhouette of a labelling (0 when there is a single cluster). */
export function silhouette(xs: Float64Array[], labels: number[]): number {
  const ks = new Set(labels);
  if (ks.size < 2) return 0;
  let total = 0;
  xs.forEach((x, i) => {
    const byCluster = new Map<number, number[]>();
    xs.forEach((y, j) => {
      if (i === j) return;
      const arr = byCluster.get(labels[j]!) ?? [];
      arr.push(Math.sqrt(dist2(x, y)));
      byCluster.set(labels[j]!, arr);
    });
    const own = byCluster.get(labels[i]!) ?? [];
    if (!own.length) return; // singleton: silhouette 0
    const a = own.reduce((p, q) => p + q, 0) / own.length;
    let b = Infinity;
    for (const [l, ds] of byCluster) if (l !== labels[i]) b = Math.min(b, ds.reduce((p, q) => p + q, 0) / ds.length);
    total += (b - a) / Math.max(a, b);
  });
  return total / xs.length;
}

const NAMES: Record<string, string> = {
  angry: "angry",
  disgust: "disgusted",
  fear: "fearful",
  happy: "happy",
  sad: "sad",
  surprise: "surprised",
  neutral: "neutral",
};
export const MIN_SILHOUETTE = 0.25;

/**
 * Groups listeners by the similarity of their trajectories: k-means for k = 2..4, kept when the best
 * silhouette reaches MIN_SILHOUETTE; otherwise everyone is one group. Groups are numbered by size.
 */
export function clusterListeners(trajectories: Trajectory[], pointTimes: number[]): { clusters: Cluster[]; labelOf: Map<string, number> } {
  const usable = trajectories.filter((t) => t.points.some((p) => p !== null));
  if (!usable.length) return { clusters: [], labelOf: new Map() };
  const xs = usable.map(featuresOf);
  let labels = usable.map(() => 0);
  let bestScore = -1;
  for (let k = 2; k <= Math.min(4, usable.length - 1); k++) {
    const { labels: l } = kmeans(xs, k, 7 + k);
    const s = silhouette(xs, l);
    if (s > bestScore) {
      bestScore = s;
      labels = l;
    }
  }
  if (bestScore < MIN_SILHOUETTE) labels = usable.map(() => 0);
  const groups = [...new Set(labels)].map((l) => usable.filter((_, i) => labels[i] === l));
  groups.sort((a, b) => b.length - a.length);
  const labelOf = new Map<string, number>();
  const clusters = groups.map((members, id) => {
    members.forEach((m) => labelOf.set(m.id, id));
    const overall = new Array<number>(K).fill(0);
    for (const m of members) m.overall.forEach((v, k) => (overall[k]! += v / members.length));
    const dominant = EMOTIONS[argmax(overall)]!;
    return {
      id,
      size: members.length,
      memberIds: members.map((m) => m.id),
      dominant,
      distribution: probs(overall),
      summary: describeGroup(members, overall, pointTimes),
    };
  });
  return { clusters, labelOf };
}

function describeGroup(members: Trajectory[], overall: number[], pointTimes: number[]): string {
  const n = members.length;
  const order = overall.map((v, k) => [v, k] as const).sort((a, b) => b[0] - a[0]);
  const [first, second] = order;
  const who = n === 1 ? "1 listener" : `${n} listeners`;
  let text = `${who}, mostly ${NAMES[EMOTIONS[first![1]]!]} (${Math.round(first![0] * 100)}%)`;
  if (second && second[0] >= 0.15) text += ` and ${NAMES[EMOTIONS[second[1]]!]} (${Math.round(second[0] * 100)}%)`;
  // the emotion that changed most between the first and second half of the talk
  const half = Math.floor(pointTimes.length / 2);
  if (half >= 1) {
    const meanOver = (from: number, to: number, k: number) => {
      const vals = members.flatMap((m) =>
        m.points
          .slice(from, to)
          .filter((p): p is number[] => p !== null)
          .map((p) => p[k]!),
      );
      return vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : null;
    };
    let bestK = -1,
      bestD = 0;
    for (let k = 0; k < K; k++) {
      const a = meanOver(0, half, k),
        b = meanOver(half, pointTimes.length, k);
      if (a !== null && b !== null && Math.abs(b - a) > Math.abs(bestD)) {
        bestD = b - a;
        bestK = k;
      }
    }
    if (bestK >= 0 && Math.abs(bestD) >= 0.1)
      text += `; ${NAMES[EMOTIONS[bestK]!]} ${bestD > 0 ? "grew" : "faded"} in the second half (${bestD > 0 ? "+" : ""}${Math.round(bestD * 100)} pts)`;
  }
  return text + ".";
}
