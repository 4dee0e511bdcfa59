import type { ListenerReport, Marker } from "@emotion/protocol";
import { memo, useCallback, useMemo, useState } from "react";
import { Area, AreaChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { EMOTION_COLORS, EMOTION_LABELS, EMOTIONS, formatPercent } from "../shared/emotions";
import { AXIS_COLOR, emotionTooltip, timeAxisProps, timeOverlays } from "./chart-parts";
import { clipRows, listenerRows, type Focus, type GroupInfo, type TimeWindow } from "./report-data";

const FIRST_PAGE = 48;

interface Props {
  listeners: ListenerReport[];
  groups: Map<number, GroupInfo>;
  markers: Marker[];
  focus: Focus | null;
  view: TimeWindow;
  bucketMs: number;
  endMs: number;
}

function useRows(listener: ListenerReport, bucketMs: number, endMs: number, view: TimeWindow) {
  return useMemo(() => clipRows(listenerRows(listener.timeline, bucketMs, endMs), view), [listener.timeline, bucketMs, endMs, view]);
}

function areas(listener: ListenerReport, smooth: boolean, withStroke: boolean) {
  return EMOTIONS.map((e) => (
    <Area
      key={e}
      type={smooth ? "monotone" : "stepAfter"}
      dataKey={e}
      stackId={listener.id}
      stroke={withStroke ? EMOTION_COLORS[e] : "none"}
      fill={EMOTION_COLORS[e]}
      fillOpacity={0.9}
      isAnimationActive={false}
      connectNulls={false}
    />
  ));
}

/** One listener's timeline in a few dozen pixels: the same axes as every other listener, for comparison. */
const SmallMultiple = memo(function SmallMultiple({
  listener,
  group,
  isOpen,
  onOpen,
  markers,
  focus,
  view,
  bucketMs,
  endMs,
}: {
  listener: ListenerReport;
  group: GroupInfo | undefined;
  isOpen: boolean;
  onOpen(id: string): void;
  markers: Marker[];
  focus: Focus | null;
  view: TimeWindow;
  bucketMs: number;
  endMs: number;
}) {
  const data = useRows(listener, bucketMs, endMs, view);
  return (
    <li>
      {/* a div with a button role: a real <button> may not hold the chart's <div>s */}
      <div
        role="button"
        tabIndex={0}
        onKeyDown={(e) => {
          if (e.key !== "Enter" && e.key !== " ") return;
          e.preventDefault();
          onOpen(listener.id);
        }}
        className={isOpen ? "multiple open" : "multiple"}
        style={{ borderLeftColor: group?.color ?? "#c5cbd6" }}
        onClick={() => onOpen(listener.id)}
        aria-pressed={isOpen}
        data-testid="listener-multiple"
        data-group={group?.number ?? ""}
      >
        <span className="multiple-head">
          <span className="multiple-name" title={listener.name}>
            {listener.name}
          </span>
          {group && (
            <span className="group-chip" style={{ background: group.color }}>
              G{group.number}
            </span>
          )}
        </span>
        <span className="multiple-chart" aria-hidden="true">
          {data.length > 0 ? (
            <ResponsiveContainer width="100%" height="100%">
              <AreaChart data={data} margin={{ top: 2, right: 0, bottom: 0, left: 0 }}>
                <XAxis {...timeAxisProps(view)} hide />
                <YAxis domain={[0, 1]} hide allowDataOverflow />
                {areas(listener, data.length > 30, false)}
                {timeOverlays({ markers, focus, view, showLabels: false })}
              </AreaChart>
            </ResponsiveContainer>
          ) : (
            <span className="multiple-empty">no readings</span>
          )}
        </span>
        <span className="multiple-meta">
          {listener.dominant ? (
            <>
              <span className="swatch" style={{ background: EMOTION_COLORS[listener.dominant] }} />
              {EMOTION_LABELS[listener.dominant]}
            </>
          ) : (
            <span className="muted">no face</span>
          )}
          <span className="muted nowrap">· {formatPercent(listener.presence)} present</span>
        </span>
      </div>
    </li>
  );
});

function ExpandedListener({
  listener,
  group,
  onClose,
  markers,
  focus,
  view,
  bucketMs,
  endMs,
}: Omit<Props, "listeners" | "groups"> & { listener: ListenerReport; group: GroupInfo | undefined; onClose(): void }) {
  const data = useRows(listener, bucketMs, endMs, view);
  return (
    <div className="expanded" data-testid="listener-expanded" style={{ borderLeftColor: group?.color ?? "#c5cbd6" }}>
      <div className="card-head">
        <h3>{listener.name}</h3>
        <p className="muted small">
          {listener.dominant ? `Mostly ${EMOTION_LABELS[listener.dominant].toLowerCase()}` : "No face classified"} · {formatPercent(listener.presence)} of the
          time in view · {listener.readings} readings
          {group ? ` · group ${group.number}` : ""} · {listener.kind === "upload" ? "from a recording" : "live"}
        </p>
        <button type="button" className="button secondary small-button" onClick={onClose}>
          Close
        </button>
      </div>
      <div className="chart-box small">
        <ResponsiveContainer width="100%" height="100%">
          <AreaChart data={data} margin={{ top: 18, right: 16, bottom: 4, left: 0 }}>
            <CartesianGrid stroke="#e6e9ef" vertical={false} />
            <XAxis {...timeAxisProps(view)} />
            <YAxis domain={[0, 1]} ticks={[0, 0.5, 1]} tickFormatter={formatPercent} stroke={AXIS_COLOR} fontSize={12} width={44} allowDataOverflow />
            <Tooltip {...emotionTooltip} itemSorter={() => 0} />
            {areas(listener, data.length > 30, true)}
            {timeOverlays({ markers, focus, view })}
          </AreaChart>
        </ResponsiveContainer>
      </div>
    </div>
  );
}

/** Every listener's timeline as a small chart on shared axes, colour-coded by group; click one to enlarge it. */
export function ListenerMultiples({ listeners, groups, ...chart }: Props) {
  const [openId, setOpenId] = useState<string | null>(null);
  const [isAll, setAll] = useState(false);
  const toggle = useCallback((id: string) => setOpenId((cur) => (cur === id ? null : id)), []);
  const shown = isAll ? listeners : listeners.slice(0, FIRST_PAGE);
  const open = listeners.find((l) => l.id === openId);
  const groupOf = (l: ListenerReport) => (l.clusterId === null ? undefined : groups.get(l.clusterId));
  return (
    <section className="card" aria-labelledby="multiples-heading" data-testid="listener-multiples">
      <div className="card-head">
        <h2 id="multiples-heading">Each listener over time</h2>
        <p className="muted small">Same time axis as above; the left edge shows the listener’s group. Click one to enlarge it.</p>
      </div>
      {open && <ExpandedListener listener={open} group={groupOf(open)} onClose={() => setOpenId(null)} {...chart} />}
      <ul className="multiples">
        {shown.map((l) => (
          <SmallMultiple key={l.id} listener={l} group={groupOf(l)} isOpen={l.id === openId} onOpen={toggle} {...chart} />
        ))}
      </ul>
      {listeners.length > shown.length && (
        <button type="button" className="button secondary" onClick={() => setAll(true)}>
          Show all {listeners.length} listeners
        </button>
      )}
    </section>
  );
}
