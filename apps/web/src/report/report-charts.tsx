import type { Marker, SessionReport } from "@emotion/protocol";
import { memo } from "react";
import { Area, AreaChart, Bar, BarChart, CartesianGrid, Cell, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { EMOTION_COLORS, EMOTION_LABELS, EMOTIONS, formatPercent } from "../shared/emotions";
import { formatClock } from "../shared/time";
import { AXIS_COLOR, emotionTooltip, timeAxisProps, timeOverlays } from "./chart-parts";
import { clipRows, type Focus, type RoomRow, type TimeWindow } from "./report-data";

interface TimeChartProps {
  rows: RoomRow[];
  markers: Marker[];
  focus: Focus | null;
  view: TimeWindow;
}

const legendLabel = (name: string) => EMOTION_LABELS[name as keyof typeof EMOTION_LABELS] ?? name;

/** The room's mean probabilities per bucket, stacked to 100%: how the room's mood is made up over time. */
export const RoomEmotionChart = memo(function RoomEmotionChart({ rows, markers, focus, view }: TimeChartProps) {
  const data = clipRows(rows, view);
  return (
    <section className="card report-chart" aria-labelledby="room-chart-heading" data-testid="room-chart">
      <div className="card-head">
        <h2 id="room-chart-heading">Emotions in the room over time</h2>
        <p className="muted small">Average probability per emotion over the faces seen, stacked to 100%</p>
      </div>
      <div className="chart-box">
        <ResponsiveContainer width="100%" height="100%">
          <AreaChart data={data} margin={{ top: 18, right: 16, bottom: 4, left: 0 }}>
            <CartesianGrid stroke="#e6e9ef" vertical={false} />
            <XAxis {...timeAxisProps(view)} />
            <YAxis
              domain={[0, 1]}
              ticks={[0, 0.25, 0.5, 0.75, 1]}
              tickFormatter={formatPercent}
              stroke={AXIS_COLOR}
              fontSize={12}
              width={44}
              allowDataOverflow
            />
            <Tooltip {...emotionTooltip} itemSorter={() => 0} />
            <Legend formatter={legendLabel} iconType="square" itemSorter={null} />
            {EMOTIONS.map((e) => (
              <Area
                key={e}
                type={data.length > 30 ? "monotone" : "stepAfter"}
                dataKey={e}
                stackId="room"
                stroke={EMOTION_COLORS[e]}
                fill={EMOTION_COLORS[e]}
                fillOpacity={0.85}
                isAnimationActive={false}
                connectNulls={false}
              />
            ))}
            {timeOverlays({ markers, focus, view })}
          </AreaChart>
        </ResponsiveContainer>
      </div>
    </section>
  );
});

/** How many listeners sent readings and how many had a face in view, with the presence share. */
export const AudienceChart = memo(function AudienceChart({ rows, markers, focus, view }: TimeChartProps) {
  const data = clipRows(rows, view);
  const most = Math.max(1, ...rows.map((r) => r.listeners));
  return (
    <section className="card report-chart" aria-labelledby="audience-chart-heading" data-testid="audience-chart">
      <div className="card-head">
        <h2 id="audience-chart-heading">Listeners and presence</h2>
        <p className="muted small">Listeners sending readings, those with a face in view, and the share of readings with a face</p>
      </div>
      <div className="chart-box small">
        <ResponsiveContainer width="100%" height="100%">
          <ComposedChart data={data} margin={{ top: 18, right: 8, bottom: 4, left: 0 }}>
            <CartesianGrid stroke="#e6e9ef" vertical={false} />
            <XAxis {...timeAxisProps(view)} />
            <YAxis yAxisId="count" domain={[0, most]} allowDecimals={false} stroke={AXIS_COLOR} fontSize={12} width={44} />
            <YAxis
              yAxisId="share"
              orientation="right"
              domain={[0, 1]}
              ticks={[0, 0.5, 1]}
              tickFormatter={formatPercent}
              stroke={AXIS_COLOR}
              fontSize={12}
              width={44}
            />
            <Tooltip
              labelFormatter={(v) => formatClock(Number(v))}
              formatter={(value, name) => [name === "Presence" && typeof value === "number" ? formatPercent(value) : String(value), name]}
            />
            <Legend itemSorter={null} />
            <Area
              yAxisId="count"
              type="stepAfter"
              dataKey="present"
              name="Face in view"
              stroke="#2e7d4f"
              fill="#9fd3b3"
              fillOpacity={0.6}
              isAnimationActive={false}
            />
            {/* a line over the area, so that it stays visible where every listener had a face in view */}
            <Line
              yAxisId="count"
              type="stepAfter"
              dataKey="listeners"
              name="Listeners"
              stroke="#3b4252"
              strokeWidth={2}
              strokeDasharray="5 3"
              dot={false}
              isAnimationActive={false}
            />
            <Line yAxisId="share" type="stepAfter" dataKey="presence" name="Presence" stroke="#2f5d8a" strokeWidth={2} dot={false} isAnimationActive={false} />
            {timeOverlays({ markers, focus, view })}
          </ComposedChart>
        </ResponsiveContainer>
      </div>
    </section>
  );
});

/** Share of classified readings per dominant emotion over the whole session. */
export const DistributionChart = memo(function DistributionChart({ distribution }: { distribution: SessionReport["distribution"] }) {
  const data = EMOTIONS.map((e) => ({ emotion: e, label: EMOTION_LABELS[e], share: distribution[e] }));
  return (
    <section className="card report-chart" aria-labelledby="distribution-heading" data-testid="distribution-chart">
      <div className="card-head">
        <h2 id="distribution-heading">Distribution per emotion</h2>
        <p className="muted small">Share of readings by their dominant emotion</p>
      </div>
      <div className="chart-box small">
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} margin={{ top: 18, right: 8, bottom: 4, left: 0 }}>
            <CartesianGrid stroke="#e6e9ef" vertical={false} />
            <XAxis dataKey="label" stroke={AXIS_COLOR} fontSize={12} interval={0} />
            <YAxis domain={[0, 1]} tickFormatter={formatPercent} stroke={AXIS_COLOR} fontSize={12} width={44} />
            <Tooltip formatter={(value) => [typeof value === "number" ? formatPercent(value) : "–", "Share"]} cursor={{ fill: "#f0f2f5" }} />
            <Bar
              dataKey="share"
              isAnimationActive={false}
              label={{ position: "top", fontSize: 11, fill: "#3b4252", formatter: (v: unknown) => (typeof v === "number" && v > 0 ? formatPercent(v) : "") }}
            >
              {data.map((d) => (
                <Cell key={d.emotion} fill={EMOTION_COLORS[d.emotion]} />
              ))}
            </Bar>
          </BarChart>
        </ResponsiveContainer>
      </div>
    </section>
  );
});
