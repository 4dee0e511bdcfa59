import type { ModelMonitoring } from "@emotion/protocol";
import type { ReactNode } from "react";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { METRICS, chartedVersions, metricRows, rateAxis, roundTimeTicks, versionKey } from "./models-data";

/** Colours by version, in order: distinct from each other and readable on white. */
const VERSION_COLORS = ["#2f5d8a", "#d1495b", "#6a994e", "#e9b949", "#8e6cc4", "#f08a4b", "#3d7ec9", "#8d99ae"];
const colorOf = (i: number) => VERSION_COLORS[i % VERSION_COLORS.length]!;
const AXIS_COLOR = "#8a93a3";

/** A tick's label: the time of day within two days, the date beyond. */
function formatWhen(ms: number, spanMs: number): string {
  const d = new Date(ms);
  return spanMs > 2 * 86_400_000
    ? d.toLocaleDateString([], { month: "short", day: "numeric" })
    : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
}

const formatBucket = (ms: number) => (ms >= 3_600_000 ? `${Math.round(ms / 3_600_000)} h` : `${Math.round(ms / 60_000)} min`);
const SHARE_AXIS = { domain: [0, 1] as [number, number], ticks: [0, 0.25, 0.5, 0.75, 1] };
const formatShare = (v: number) => `${Math.round(v * 1000) / 10}%`;

/** Per version over time: share of "no reading", mean confidence and correction rate, one line chart each. */
export function MonitoringCharts({ monitoring, windowPicker }: { monitoring: ModelMonitoring; windowPicker: ReactNode }) {
  const versions = chartedVersions(monitoring);
  return (
    <section className="card" aria-labelledby="monitoring-heading" data-testid="model-monitoring">
      <div className="card-head">
        <h2 id="monitoring-heading">Monitoring</h2>
        <div className="row">
          <p className="muted small monitor-range">
            {new Date(monitoring.from).toLocaleString()} – {new Date(monitoring.to).toLocaleString()}, per {formatBucket(monitoring.bucketMs)}
          </p>
          {windowPicker}
        </div>
      </div>
      {versions.length === 0 ? (
        <p className="chart-empty muted" data-testid="monitoring-empty">
          No readings in this window yet.
        </p>
      ) : (
        <div className="monitor-grid">
          {METRICS.map((metric) => {
            const rows = metricRows(monitoring, metric.key);
            // Shares live in 0..1; a rate of corrections is small, so it gets its own round scale.
            const axis = metric.isShare ? SHARE_AXIS : rateAxis(rows);
            return (
              <figure key={metric.key} className="monitor-chart" data-testid={`monitor-${metric.key}`}>
                <figcaption>
                  <span className="monitor-title">{metric.title}</span>
                  <span className="muted small">{metric.hint}</span>
                </figcaption>
                <div className="chart-box small">
                  <ResponsiveContainer width="100%" height="100%">
                    <LineChart data={rows} margin={{ top: 12, right: 16, bottom: 4, left: 0 }}>
                      <CartesianGrid stroke="#e6e9ef" vertical={false} />
                      <XAxis
                        dataKey="start"
                        type="number"
                        domain={[monitoring.from, monitoring.to]}
                        ticks={roundTimeTicks(monitoring.from, monitoring.to)}
                        tickFormatter={(v: number) => formatWhen(v, monitoring.to - monitoring.from)}
                        stroke={AXIS_COLOR}
                        fontSize={12}
                      />
                      <YAxis domain={axis.domain} ticks={axis.ticks} tickFormatter={formatShare} stroke={AXIS_COLOR} fontSize={12} width={48} />
                      <Tooltip
                        labelFormatter={(v) => new Date(Number(v)).toLocaleString()}
                        formatter={(value, name) => [typeof value === "number" ? formatShare(value) : "–", String(name)]}
                      />
                      <Legend iconType="plainline" />
                      {versions.map((version, i) => (
                        <Line
                          key={version}
                          name={`v${version}`}
                          dataKey={versionKey(version)}
                          stroke={colorOf(i)}
                          strokeWidth={2}
                          dot={{ r: 3 }}
                          isAnimationActive={false}
                          connectNulls={false}
                        />
                      ))}
                    </LineChart>
                  </ResponsiveContainer>
                </div>
              </figure>
            );
          })}
        </div>
      )}
    </section>
  );
}
