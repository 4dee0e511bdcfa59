/** A labelled progress bar; `value` is 0..1, or null for an unknown amount (an indeterminate stripe). */
export function ProgressBar({ value, label, testId }: { value: number | null; label: string; testId?: string }) {
  const percent = value === null ? null : Math.round(Math.min(1, Math.max(0, value)) * 100);
  return (
    <div
      className={percent === null ? "progress indeterminate" : percent === 100 ? "progress complete" : "progress"}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent ?? undefined}
      data-testid={testId}
      data-value={percent ?? ""}
    >
      <span className="progress-fill" style={percent === null ? undefined : { width: `${percent}%` }} />
    </div>
  );
}
