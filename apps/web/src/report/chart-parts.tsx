import type { Marker } from "@emotion/protocol";
import type { ReactElement } from "react";
import { ReferenceArea, ReferenceLine } from "recharts";
import { EMOTION_LABELS } from "../shared/emotions";
import { formatClock, timeTicks } from "../shared/time";
import type { Focus, TimeWindow } from "./report-data";

export const AXIS_COLOR = "#8a93a3";
const MARKER_COLOR = "#3b4252";
const FOCUS_COLOR = "#f2c14e";

/** Props of a numeric time axis over `view` (ms from the session start). */
export function timeAxisProps(view: TimeWindow) {
  return {
    dataKey: "tMs",
    type: "number" as const,
    domain: [view.from, view.to],
    ticks: timeTicks(view.from, view.to),
    tickFormatter: formatClock,
    allowDataOverflow: true,
    stroke: AXIS_COLOR,
    fontSize: 12,
  };
}

/**
 * The speaker's markers and the focused key moment, drawn on every time chart. Returned as an array
 * of direct children because recharts finds reference elements among a chart's children.
 */
export function timeOverlays({
  markers,
  focus,
  view,
  showLabels = true,
}: {
  markers: Marker[];
  focus: Focus | null;
  view: TimeWindow;
  showLabels?: boolean;
}): ReactElement[] {
  const out: ReactElement[] = [];
  if (focus) {
    out.push(
      <ReferenceArea
        key="focus-area"
        x1={focus.highlight.from}
        x2={focus.highlight.to}
        fill={FOCUS_COLOR}
        fillOpacity={0.28}
        stroke={FOCUS_COLOR}
        strokeOpacity={0.9}
        ifOverflow="hidden"
      />,
    );
  }
  for (const m of markers) {
    if (m.tMs < view.from || m.tMs > view.to) continue;
    out.push(
      <ReferenceLine
        key={`marker-${m.id}`}
        x={m.tMs}
        stroke={MARKER_COLOR}
        strokeDasharray="4 3"
        label={showLabels ? { value: m.label, position: "insideTopLeft", fontSize: 11, fill: MARKER_COLOR } : undefined}
      />,
    );
  }
  return out;
}

/** Tooltip formatters shared by the emotion charts. */
export const emotionTooltip = {
  labelFormatter: (v: unknown) => formatClock(Number(v)),
  formatter: (value: unknown, name: unknown): [string, string] => [
    typeof value === "number" ? `${Math.round(value * 100)}%` : "–",
    EMOTION_LABELS[name as keyof typeof EMOTION_LABELS] ?? String(name),
  ],
};
