import { parseArgs, USAGE, UsageError, type LoadOptions } from "./args";
import { loadCropPool } from "./crops";
import { formatJson, formatSummary, type LoadReport } from "./report";
import { fetchHealthRssMb, readCpuSeconds, readRssMb, startServers, type ServerProcess } from "./server-process";
import { createSession, waitForStored, type SessionRef } from "./session-api";
import { Simulation } from "./simulate";

const log = (message: string) => process.stderr.write(`${message}\n`);
const fmt = (v: number | null) => (v === null ? "–" : v.toFixed(0));
// Histogram values are ns; an empty histogram reports NaN / huge numbers.
const lagMs = (ns: number) => (Number.isFinite(ns) && ns < 1e12 ? Math.round(ns / 1e5) / 10 : 0);

/** Peak RSS of the servers together, sampled once a second: /proc for servers we started, GET /health otherwise. */
function watchServerMemory(servers: ServerProcess[], urls: string[]) {
  let peak: number | null = null;
  let last: number | null = null;
  let isBusy = false;
  const sample = async () => {
    if (isBusy) return;
    isBusy = true;
    const each = await Promise.all(servers.length ? servers.map((s) => readRssMb(s.pid)) : urls.map((u) => fetchHealthRssMb(u)));
    last = each.some((v) => v === null) ? null : each.reduce<number>((sum, v) => sum + v!, 0);
    if (last !== null) peak = Math.max(peak ?? 0, last);
    isBusy = false;
  };
  void sample();
  const timer = setInterval(() => void sample(), 1000);
  return {
    get peak() {
      return peak;
    },
    get last() {
      return last;
    },
    stop: async () => {
      clearInterval(timer);
      await sample();
    },
  };
}

/** CPU seconds the started servers have used so far, together; null when one cannot be read. */
async function readServersCpu(servers: ServerProcess[]): Promise<number | null> {
  if (!servers.length) return null;
  const each = await Promise.all(servers.map((s) => readCpuSeconds(s.pid)));
  return each.some((v) => v === null) ? null : each.reduce<number>((sum, v) => sum + v!, 0);
}

async function run(o: LoadOptions, onCleanup: (fn: () => Promise<void>) => void): Promise<LoadReport> {
  log(
    o.url
      ? `load test against ${o.url.join(", ")}`
      : `starting ${o.instances > 1 ? `${o.instances} server instances (cluster mode)` : "the server"} and the crop pool…`,
  );
  const [crops, servers] = await Promise.all([
    loadCropPool(),
    o.url ? Promise.resolve([]) : startServers({ serverDir: o.serverDir, instances: o.instances }, onCleanup),
  ]);
  const server = servers[0] ?? null;
  const urls = o.url ?? servers.map((s) => s.url);
  const url = urls[0]!;
  log(
    `${crops.length} real face crops in the pool; ${urls.length > 1 ? "servers" : "server"} ${servers.length ? servers.map((s) => `${s.url} (pid ${s.pid})`).join(", ") : urls.join(", ")}`,
  );

  const session: SessionRef =
    o.session && o.code && o.token ? { id: o.session, code: o.code, speakerToken: o.token } : await createSession(url, `Load test ${new Date().toISOString()}`);
  const memory = watchServerMemory(servers, urls);
  onCleanup(() => memory.stop());
  const sim = new Simulation({
    urls,
    readings: !o.moodOnly,
    session,
    listeners: o.listeners,
    fps: o.fps,
    seconds: o.seconds,
    crops,
    joinConcurrency: o.joinConcurrency,
    ackTimeoutMs: o.ackTimeoutMs,
    warmupSeconds: o.warmup,
  });
  onCleanup(async () => sim.close());

  await sim.connectSpeaker();
  const joinStart = Date.now();
  let lastJoinLog = 0;
  const logJoins = (n: number) => {
    if (Date.now() - lastJoinLog < 1000 && n < o.listeners) return;
    lastJoinLog = Date.now();
    log(`joined ${n}/${o.listeners} listeners`);
  };
  const logJoined = () => log(`all ${o.listeners} listeners joined in ${((Date.now() - joinStart) / 1000).toFixed(1)} s`);
  // By default everyone joins first and then all send for --seconds, so the numbers are those of N
  // listeners at F/s; --start-on-join has each start as soon as it has joined, the joins overlapping the load.
  if (!o.startOnJoin) {
    await sim.joinListeners(logJoins);
    logJoined();
  }
  log(`sending ${o.fps} crops/s per listener for ${o.seconds} s${o.startOnJoin ? " from its join" : ""}`);
  const t0 = Date.now();
  const cpu0 = { server: await readServersCpu(servers), client: process.cpuUsage() };
  let lastSent = 0;
  let lastCpu = cpu0.server;
  let lastAt = performance.now();
  const progress = setInterval(async () => {
    if (servers.some((s) => s.crashed)) return sim.close(); // stops sending; the run then fails with the reason
    const cpu = await readServersCpu(servers);
    const now = performance.now();
    const cpuPct = cpu !== null && lastCpu !== null ? Math.round(((cpu - lastCpu) / ((now - lastAt) / 1000)) * 100) : null;
    lastCpu = cpu;
    lastAt = now;
    const ack = sim.ackMs.takeWindow();
    const dash = sim.dashboardMs.takeWindow();
    const mood = sim.moodMs.takeWindow();
    log(
      `[${((Date.now() - t0) / 1000).toFixed(0).padStart(3)} s] sent ${sim.sent} (+${sim.sent - lastSent}/s) acked ${sim.acked} nacked ${sim.nacked} ` +
        `in flight ${sim.inFlight}  ack p95 ${fmt(ack.p95)} ms  mood p95 ${fmt(mood.p95)} ms${o.moodOnly ? "" : `  readings p95 ${fmt(dash.p95)} ms`}  server RSS ${fmt(memory.last)} MB${cpuPct === null ? "" : ` CPU ${cpuPct}%`}`,
    );
    lastSent = sim.sent;
  }, 1000);
  const allSent = sim.startSending();
  if (o.startOnJoin) {
    await sim.joinListeners(logJoins);
    logJoined();
  }
  await allSent;
  clearInterval(progress);
  const crashed = servers.find((s) => s.crashed);
  if (crashed) throw new Error(crashed.crashed!);
  const sendSeconds = (Date.now() - t0) / 1000;
  const serverCpu = await readServersCpu(servers);
  const clientCpu = process.cpuUsage(cpu0.client);
  log(`sending done; waiting for ${sim.inFlight} in-flight acks and the write-behind flush…`);
  await sim.settle(o.ackTimeoutMs + 1000);
  const stored = await waitForStored(url, session, sim.participantIds, sim.acked);
  await memory.stop();
  sim.close();

  const lag = sim.clientLag;
  return {
    sent: sim.sent,
    acked: sim.acked,
    stored,
    lost: sim.sent - stored,
    ackMs: sim.ackMs.percentiles(),
    dashboardMs: sim.dashboardMs.percentiles(),
    serverRssMb: memory.peak,
    moodMs: sim.moodMs.percentiles(),
    moods: sim.moods,
    mostPresent: sim.mostPresent,
    instances: urls.length,
    nacked: sim.nacked,
    nackCodes: sim.nackCodes,
    timedOut: sim.timedOut,
    dashboardReceived: sim.dashboardReceived,
    disconnects: sim.disconnects,
    listeners: o.listeners,
    fps: o.fps,
    seconds: o.seconds,
    start: o.startOnJoin ? "on-join" : "after-joins",
    warmupSeconds: o.warmup,
    offeredPerSecond: sim.sent / o.seconds,
    clientLagMs: { p99: lagMs(lag.percentile(99)), max: lagMs(lag.max) },
    serverStarted: server !== null,
    // Share of one core while sending: on a small machine the server, this generator and anything else compete.
    serverCpuPct: serverCpu !== null && cpu0.server !== null ? Math.round(((serverCpu - cpu0.server) / sendSeconds) * 100) : null,
    serverCpuSecondsPer1000Crops:
      serverCpu !== null && cpu0.server !== null && sim.acked ? Math.round(((serverCpu - cpu0.server) / sim.acked) * 1000 * 1000) / 1000 : null,
    clientCpuPct: Math.round(((clientCpu.user + clientCpu.system) / 1e6 / sendSeconds) * 100),
  };
}

async function main(argv: string[]): Promise<number> {
  let options: LoadOptions;
  try {
    options = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    log(`loadtest: ${error.message}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  // Undone in reverse order on success, failure and Ctrl-C: sockets, then memory sampling, then the server.
  const cleanups: Array<() => Promise<void>> = [];
  const cleanUp = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch((e: unknown) => log(`cleanup: ${(e as Error).message}`));
  };
  process.once("SIGINT", () => {
    log("interrupted; stopping");
    void cleanUp().then(() => process.exit(130));
  });
  try {
    const report = await run(options, (fn) => cleanups.push(fn));
    await cleanUp();
    process.stdout.write(`${formatSummary(report)}\n`);
    if (options.json) process.stdout.write(`${formatJson(report)}\n`);
    return report.lost > 0 ? 1 : 0;
  } catch (error) {
    log(`loadtest failed: ${error instanceof Error ? error.message : String(error)}`);
    await cleanUp();
    return 1;
  }
}

// Exit explicitly: a socket or timer left behind by a failed run must not keep the process alive.
process.exit(await main(process.argv.slice(2)));
