import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort } from "@emotion/server/spawn";

export { startRedis } from "@emotion/server/spawn";

/** A process of ours (Redis, HAProxy) that ends with the run. */
export interface Service {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** The HAProxy configuration the deployment uses (docker-compose.yml): the test runs the very same file. */
export const HAPROXY_CFG = fileURLToPath(new URL("../../../infra/haproxy/haproxy.cfg", import.meta.url));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): { child: ChildProcess; output: () => string } {
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let tail = "";
  const keep = (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-3000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  child.once("error", (err) => (tail += `\n${err.message}`));
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  child.once("exit", () => process.off("exit", kill));
  return { child, output: () => tail };
}

const stopProcess = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 5000).unref();
  });

/** HAProxy with infra/haproxy/haproxy.cfg in front of the given instances ("host:port"), in the foreground. */
export async function startHaproxy(backends: [string, string, ...string[]]): Promise<Service> {
  const port = await freePort();
  const env = { ...process.env, LB_PORT: String(port), BACKEND_A: backends[0], BACKEND_B: backends[1], BACKEND_C: backends[2] ?? "", LB_MAXCONN: "2000" };
  const { child, output } = startProcess("haproxy", ["-db", "-f", HAPROXY_CFG], env);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null || i > 150) throw new Error(`haproxy did not start (install Debian's haproxy): ${output()}`);
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) }).catch(() => null);
    if (res?.ok) break;
    await sleep(100);
  }
  return { url, port, stop: () => stopProcess(child) };
}
