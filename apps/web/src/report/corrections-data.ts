import type { CorrectionSummary, Emotion } from "@emotion/protocol";

export interface Disagreement {
  predicted: Emotion | null;
  label: Emotion;
  n: number;
}

/** Share of corrections that confirmed the model, among those whose reading is known; null when none is. */
export function agreementOf(summary: CorrectionSummary): number | null {
  const known = summary.confusion.filter((c) => c.predicted !== null).reduce((n, c) => n + c.n, 0);
  return known === 0 ? null : summary.agreed / known;
}

/** The cells where the listener said something else than the model, most frequent first. */
export function disagreementsOf(summary: CorrectionSummary): Disagreement[] {
  return summary.confusion.filter((c) => c.predicted !== c.label).sort((a, b) => b.n - a.n || a.label.localeCompare(b.label));
}
