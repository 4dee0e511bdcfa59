// infra/haproxy/haproxy.cfg: HAProxy's own check (`haproxy -c`) with the variables it reads, and the
// settings Socket.IO needs behind it. CI installs haproxy; without it (and without CI) the check is skipped.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { interpolateDefaults, readRepoFile, readYamlDocuments, REPO_ROOT, toSeconds } from "./support";

const CONFIG = `${REPO_ROOT}/infra/haproxy/haproxy.cfg`;
const VARIABLES = { LB_PORT: "18080", BACKEND_A: "127.0.0.1:13101", BACKEND_B: "127.0.0.1:13102" };
const isInstalled = !spawnSync("haproxy", ["-v"]).error;
/** The configuration without comments: what HAProxy reads. */
const config = readRepoFile("infra/haproxy/haproxy.cfg").replace(/^\s*#.*$/gm, "");

function checkConfig(variables: Record<string, string | undefined>) {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...variables };
  const result = spawnSync("haproxy", ["-c", "-f", CONFIG], { env, encoding: "utf8" });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("infra/haproxy/haproxy.cfg", () => {
  it("has haproxy to check it with in CI", () => {
    if (process.env.CI) expect(isInstalled, "haproxy is not installed (.ci/run installs it)").toBe(true);
  });

  it.skipIf(!isInstalled)("is valid with two instances, and with a third", () => {
    expect(checkConfig(VARIABLES)).toMatchObject({ code: 0 });
    expect(checkConfig({ ...VARIABLES, BACKEND_C: "" })).toMatchObject({ code: 0 });
    expect(checkConfig({ ...VARIABLES, BACKEND_C: "127.0.0.1:13103" })).toMatchObject({ code: 0 });
  });

  it.skipIf(!isInstalled)("is valid with docker-compose.yml's environment (instance names resolved later through Docker's DNS)", () => {
    const compose = interpolateDefaults(readYamlDocuments("docker-compose.yml")[0]) as { services: { haproxy: { environment: Record<string, string> } } };
    const env = compose.services.haproxy.environment;
    expect(checkConfig({ ...env, LB_PORT: VARIABLES.LB_PORT })).toMatchObject({ code: 0 });
  });

  it.skipIf(!isInstalled)("reads the instances' addresses from the environment", () => {
    const { BACKEND_B: _, ...withoutB } = VARIABLES;
    const missing = checkConfig(withoutB);
    expect(missing.code).not.toBe(0);
    expect(missing.output).toMatch(/server/);
    // BACKEND_C, when set, is used: a bad address there fails the check.
    expect(checkConfig({ ...VARIABLES, BACKEND_C: "not an address" }).code).not.toBe(0);
  });

  it("keeps polling clients on one instance and lets WebSockets live", () => {
    expect(config).toMatch(/^\s*cookie \S+ insert indirect nocache/m);
    const servers = config.match(/^\s*server \S+ .*$/gm) ?? [];
    expect(servers.length).toBeGreaterThanOrEqual(3);
    const cookies = servers.map((s) => /\bcookie (\S+)/.exec(s)?.[1]);
    expect(cookies.every(Boolean), "every server has a cookie value").toBe(true);
    expect(new Set(cookies).size).toBe(cookies.length);
    const tunnel = /^\s*timeout tunnel (\S+)/m.exec(config)?.[1];
    expect(tunnel, "timeout tunnel").toBeDefined();
    // Socket.IO pings every 25 s; an idle but live socket must outlast many pings.
    expect(toSeconds(tunnel!)).toBeGreaterThanOrEqual(600);
    expect(toSeconds(/^\s*timeout client (\S+)/m.exec(config)![1]!)).toBeGreaterThan(25);
  });

  it("sends new clients only to instances whose /health answers 200", () => {
    expect(config).toMatch(/^\s*option httpchk GET \/health\s*$/m);
    expect(config).toMatch(/^\s*http-check expect status 200\s*$/m);
    expect(config).toMatch(/^\s*default-server check\b/m);
    expect(config).toMatch(/^\s*option forwardfor\b/m);
  });
});
