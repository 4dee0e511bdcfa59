import { EMOTIONS, type Emotion, type KeyMoment, type Marker } from "@emotion/protocol";
import { mean } from "./series";

export const MIN_SHIFT_POINTS = 8;
const MAX_MOMENTS = 6;

export interface MomentSeries {
  signal: Emotion | "presence";
  /** Values in 0..1 per point; null where unknown. */
  values: Array<number | null>;
}

const LABEL: Record<Emotion | "presence", string> = {
  angry: "Anger",
  disgust: "Disgust",
  fear: "Fear",
  happy: "Happiness",
  sad: "Sadness",
  surprise: "Surprise",
  neutral: "Neutral expressions",
  presence: "Presence",
};

export function formatClock(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60),
    sec = s % 60;
  const mm = String(m).padStart(h ? 2 : 1, "0"),
    ss = String(sec).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

function windowMean(values: Array<number | null>, from: number, to: number): number | null {
  const xs = values.slice(Math.max(0, from), Math.max(0, to)).filter((v): v is number => v !== null);
  return xs.length ? mean(xs) : null;
}

/**
 * The largest sustained shifts of the room: at each point, the mean of the `window` points after it
 * minus the mean of the `window` points before it; per signal the local peaks of |change| of at least
 * MIN_SHIFT_POINTS percentage points; overall the largest few, at least one window apart.
 */
export function findKeyMoments(series: MomentSeries[], pointTimes: number[], window: number, markers: Marker[]): KeyMoment[] {
  const candidates: Array<Omit<KeyMoment, "marker" | "description"> & { index: number }> = [];
  for (const { signal, values } of series) {
    const deltas: Array<{ index: number; before: number; after: number; delta: number }> = [];
    for (let i = window; i <= values.length - window; i++) {
      const before = windowMean(values, i - window, i);
      const after = windowMean(values, i, i + window);
      if (before === null || after === null) continue;
      deltas.push({ index: i, before, after, delta: (after - before) * 100 });
    }
    deltas.forEach((d, j) => {
      const prev = deltas[j - 1],
        next = deltas[j + 1];
      const isPeak = (!prev || Math.abs(d.delta) >= Math.abs(prev.delta)) && (!next || Math.abs(d.delta) > Math.abs(next.delta));
      if (isPeak && Math.abs(d.delta) >= MIN_SHIFT_POINTS) {
        candidates.push({
          index: d.index,
          tMs: pointTimes[d.index]!,
          signal,
          direction: d.delta > 0 ? "rise" : "drop",
          deltaPoints: Math.round(d.delta * 10) / 10,
          before: Math.round(d.before * 1000) / 1000,
          after: Math.round(d.after * 1000) / 1000,
        });
      }
    });
  }
  candidates.sort((a, b) => Math.abs(b.deltaPoints) - Math.abs(a.deltaPoints));
  const chosen: typeof candidates = [];
  for (const c of candidates) {
    if (chosen.length >= MAX_MOMENTS) break;
    if (chosen.some((o) => o.signal === c.signal && Math.abs(o.index - c.index) < window)) continue;
    chosen.push(c);
  }
  chosen.sort((a, b) => a.tMs - b.tMs);
  return chosen.map(({ index: _index, ...m }) => {
    const marker = [...markers].filter((mk) => mk.tMs <= m.tMs).sort((a, b) => b.tMs - a.tMs)[0] ?? null;
    const verb = m.direction === "rise" ? "rose" : "dropped";
    const pct = (v: number) => `${Math.round(v * 100)}%`;
    const after = marker ? `, after “${marker.label}”` : "";
    return {
      ...m,
      marker,
      description: `${LABEL[m.signal]} ${verb} from ${pct(m.before)} to ${pct(m.after)} (${m.deltaPoints > 0 ? "+" : ""}${m.deltaPoints} pts) at ${formatClock(m.tMs)}${after}.`,
    };
  });
}

export const MOMENT_SIGNALS: Array<Emotion | "presence"> = [...EMOTIONS, "presence"];
