import type { Marker } from "@emotion/protocol";
import { memo } from "react";
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { EMOTION_COLORS, EMOTION_LABELS, EMOTIONS, formatPercent } from "../shared/emotions";
import { formatClock, timeTicks } from "../shared/time";
import type { TimelinePoint } from "./timeline";

/**
 * The room's mean probabilities over the last minutes, with the speaker's markers. Memoised: it
 * re-renders once per mood snapshot (about 1/s), never per reading.
 */
export const TimelineChart = memo(function TimelineChart({ points, markers }: { points: TimelinePoint[]; markers: Marker[] }) {
  const first = points[0]?.tMs ?? 0;
  const last = points[points.length - 1]?.tMs ?? 0;
  const visibleMarkers = markers.filter((m) => m.tMs >= first && m.tMs <= last);
  return (
    <section
      className="card timeline"
      aria-labelledby="timeline-heading"
      data-testid="timeline"
      data-points={points.length}
      data-markers={visibleMarkers.length}
    >
      <div className="card-head">
        <h2 id="timeline-heading">Last 5 minutes</h2>
        <p className="muted small">Average probability per emotion over the faces in view</p>
      </div>
      {points.length < 2 ? (
        <p className="chart-empty muted">The timeline starts with the first readings.</p>
      ) : (
        <div className="chart-box">
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={points} margin={{ top: 16, right: 16, bottom: 4, left: 0 }}>
              <CartesianGrid stroke="#e6e9ef" vertical={false} />
              <XAxis
                dataKey="tMs"
                type="number"
                domain={[first, last]}
                ticks={timeTicks(first, last)}
                tickFormatter={formatClock}
                stroke="#8a93a3"
                fontSize={12}
              />
              <YAxis domain={[0, 1]} tickFormatter={formatPercent} stroke="#8a93a3" fontSize={12} width={44} />
              <Tooltip
                labelFormatter={(v) => formatClock(Number(v))}
                formatter={(value, name) => [
                  typeof value === "number" ? formatPercent(value) : "–",
                  EMOTION_LABELS[name as keyof typeof EMOTION_LABELS] ?? name,
                ]}
              />
              <Legend itemSorter={null} formatter={(name: string) => EMOTION_LABELS[name as keyof typeof EMOTION_LABELS] ?? name} iconType="plainline" />
              {visibleMarkers.map((m) => (
                <ReferenceLine
                  key={m.id}
                  x={m.tMs}
                  stroke="#3b4252"
                  strokeDasharray="4 3"
                  label={{ value: m.label, position: "insideTopLeft", fontSize: 12, fill: "#3b4252" }}
                />
              ))}
              {EMOTIONS.map((e) => (
                <Line key={e} dataKey={e} stroke={EMOTION_COLORS[e]} strokeWidth={2} dot={false} isAnimationActive={false} connectNulls={false} />
              ))}
            </LineChart>
          </ResponsiveContainer>
        </div>
      )}
    </section>
  );
});
