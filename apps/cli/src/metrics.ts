export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Metrics {
  n: number;
  accuracy: number;
  macroF1: number;
  perClass: Record<string, ClassMetrics>;
  confusion: number[][];
}

/** An empty k x k confusion matrix (rows true, columns predicted). */
export function emptyConfusion(k: number): number[][] {
  return Array.from({ length: k }, () => new Array<number>(k).fill(0));
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);

/**
 * Accuracy, per-class precision/recall/F1 and macro-F1 from a confusion matrix. Macro-F1 averages over the
 * classes present in the truth or the predictions (scikit-learn's default label set).
 */
export function computeMetrics(confusion: number[][], classNames: readonly string[]): Metrics {
  const k = classNames.length;
  const rowSum = confusion.map((r) => r.reduce((a, b) => a + b, 0));
  const colSum = classNames.map((_, j) => confusion.reduce((a, r) => a + (r[j] ?? 0), 0));
  const n = rowSum.reduce((a, b) => a + b, 0);
  let correct = 0;
  const perClass: Record<string, ClassMetrics> = {};
  let f1Sum = 0;
  let present = 0;
  for (let c = 0; c < k; c++) {
    const tp = confusion[c]?.[c] ?? 0;
    correct += tp;
    const precision = ratio(tp, colSum[c]!);
    const recall = ratio(tp, rowSum[c]!);
    const f1 = ratio(2 * precision * recall, precision + recall);
    perClass[classNames[c]!] = { precision, recall, f1, support: rowSum[c]! };
    if (rowSum[c]! + colSum[c]! > 0) {
      f1Sum += f1;
      present++;
    }
  }
  return { n, accuracy: ratio(correct, n), macroF1: ratio(f1Sum, present), perClass, confusion };
}
