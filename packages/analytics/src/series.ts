import { EMOTIONS, type Probabilities, toProbabilities } from "@emotion/protocol";
import type { BucketRow } from "./types";

export const K = EMOTIONS.length;

/** Accumulates bucket rows (of one listener or the room) into one. */
export class Acc {
  readings = 0;
  faces = 0;
  classified = 0;
  sums = new Array<number>(K).fill(0);
  dominantCounts = new Array<number>(K).fill(0);

  add(row: Pick<BucketRow, "readings" | "faces" | "classified" | "sums" | "dominantCounts">): void {
    this.readings += row.readings;
    this.faces += row.faces;
    this.classified += row.classified;
    for (let k = 0; k < K; k++) {
      this.sums[k]! += row.sums[k] ?? 0;
      this.dominantCounts[k]! += row.dominantCounts[k] ?? 0;
    }
  }

  /** Mean probabilities, or null with no classified reading. */
  mean(): number[] | null {
    return this.classified > 0 ? this.sums.map((s) => s / this.classified) : null;
  }

  presence(): number {
    return this.readings > 0 ? this.faces / this.readings : 0;
  }

  /** Share of classified readings per dominant emotion (zeros with none). */
  distribution(): number[] {
    return this.dominantCounts.map((c) => (this.classified > 0 ? c / this.classified : 0));
  }
}

export function argmax(values: number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

export function probs(values: number[]): Probabilities {
  return toProbabilities(values.map((v) => Math.round(v * 1e4) / 1e4));
}

export function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
}
