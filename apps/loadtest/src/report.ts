import type { Percentiles } from "./stats";

/** The result; the first keys are the published JSON line, the rest explain a failure. */
export interface LoadReport {
  sent: number;
  acked: number;
  stored: number;
  /** sent − stored: every crop sent must end up stored. */
  lost: number;
  ackMs: Percentiles;
  dashboardMs: Percentiles;
  /** The servers' peak RSS during the run in MB, all instances together; null when it cannot be read (--url without memory in /health). */
  serverRssMb: number | null;
  /** Capture to the room mood the speaker's dashboard draws (session:mood, once a second). */
  moodMs: Percentiles;
  /** Room moods the speaker received, and the most listeners one showed with a face. */
  moods: number;
  mostPresent: number;
  /** Server instances the listeners were spread over. */
  instances: number;
  nacked: number;
  nackCodes: Record<string, number>;
  timedOut: number;
  dashboardReceived: number;
  disconnects: number;
  listeners: number;
  fps: number;
  seconds: number;
  /** "after-joins": all listeners joined, then all sent for `seconds`; "on-join": each sent from its own join. */
  start: "after-joins" | "on-join";
  /** Leading seconds of sending left out of ackMs and dashboardMs (0: every reading counts). */
  warmupSeconds: number;
  /** Readings per second the run offered (sent / seconds). */
  offeredPerSecond: number;
  /** The load generator's own event-loop delay: when high, the latencies include its lag. */
  clientLagMs: { p99: number; max: number };
  serverStarted: boolean;
  /** CPU used while sending, in % of one core: the server's (when started here) and this generator's. */
  serverCpuPct: number | null;
  /** Server CPU (all instances) per 1,000 acked crops, in CPU seconds; null when the servers were not started here. */
  serverCpuSecondsPer1000Crops: number | null;
  clientCpuPct: number;
}

const ms = (v: number | null) => (v === null ? "–" : `${v.toFixed(1)} ms`);
const line = (p: Percentiles) => `p50 ${ms(p.p50)}  p95 ${ms(p.p95)}  p99 ${ms(p.p99)}  max ${ms(p.max)}`;

/** The human summary (stdout, before the JSON line). */
export function formatSummary(r: LoadReport): string {
  const nacks = Object.entries(r.nackCodes)
    .map(([code, n]) => `${code} ${n}`)
    .join(", ");
  return [
    `load test: ${r.listeners} listeners × ${r.fps} crops/s × ${r.seconds} s on ${r.instances} instance${r.instances > 1 ? "s" : ""} (${r.offeredPerSecond.toFixed(0)} readings/s offered; ${r.start === "on-join" ? "each from its join" : "after all joined"})`,
    `  readings   sent ${r.sent}  acked ${r.acked}  stored ${r.stored}  lost ${r.lost}`,
    `             nacked ${r.nacked}${nacks ? ` (${nacks})` : ""}  timed out ${r.timedOut}  dropped sockets ${r.disconnects}`,
    `  ack        ${line(r.ackMs)}${r.warmupSeconds ? `  (after a ${r.warmupSeconds} s warm-up)` : ""}`,
    `  dashboard  ${line(r.moodMs)}  (capture → the room mood the dashboard draws, ${r.moods} moods, up to ${r.mostPresent} faces)`,
    `  readings   ${line(r.dashboardMs)}  (capture → every reading pushed to the speaker, ${r.dashboardReceived} received)`,
    `  server     peak RSS ${r.serverRssMb === null ? "unknown" : `${r.serverRssMb.toFixed(0)} MB`}${r.serverStarted ? " (started by the load test)" : ""}`,
    `  cpu        server ${r.serverCpuPct === null ? "unknown" : `${r.serverCpuPct}%`}  generator ${r.clientCpuPct}% (of one core, while sending); server ${r.serverCpuSecondsPer1000Crops === null ? "unknown" : `${r.serverCpuSecondsPer1000Crops} CPU s`} per 1,000 crops`,
    `  generator  event-loop delay p99 ${r.clientLagMs.p99.toFixed(1)} ms, max ${r.clientLagMs.max.toFixed(1)} ms`,
    r.lost > 0 ? `FAIL: ${r.lost} reading(s) lost` : "ok: no reading lost",
  ].join("\n");
}

/** The machine-readable last line. */
export function formatJson(r: LoadReport): string {
  const { sent, acked, stored, lost, ackMs, dashboardMs, serverRssMb, ...rest } = r;
  return JSON.stringify({ sent, acked, stored, lost, ackMs, dashboardMs, serverRssMb: serverRssMb === null ? null : Math.round(serverRssMb), ...rest });
}
