import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Env, parseEnv } from "./env";

const errorOf = (source: Record<string, string>) => {
  try {
    parseEnv(source);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`parseEnv accepted ${JSON.stringify(source)}`);
};

describe("parseEnv", () => {
  it("takes an empty variable as unset: DATABASE_URL= means the embedded database", () => {
    const env = parseEnv({ DATABASE_URL: "", PORT: " ", PUBLIC_URL: "", MAX_SESSIONS_PER_MINUTE: "" });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.PORT).toBe(3000);
    expect(env.PUBLIC_URL).toBeUndefined();
    expect(env.MAX_SESSIONS_PER_MINUTE).toBe(60);
  });

  it("coerces numbers and reads the limits", () => {
    const env = parseEnv({ PORT: "8080", MAX_PREDICTS_PER_MINUTE: "5", MAX_CONCURRENT_DECODES: "2", MAX_QUEUED_DECODES: "0", UPLOAD_FPS: "0.5" });
    expect(env).toMatchObject({ PORT: 8080, MAX_PREDICTS_PER_MINUTE: 5, MAX_CONCURRENT_DECODES: 2, MAX_QUEUED_DECODES: 0, UPLOAD_FPS: 0.5 });
  });

  it("names the variable, the expected form and the value", () => {
    expect(errorOf({ PORT: "abc" })).toBe("invalid environment: PORT: expected an integer 0..65535, got 'abc'");
    expect(errorOf({ PORT: "70000" })).toContain("PORT: expected an integer 0..65535, got '70000'");
    expect(errorOf({ MAX_UPLOAD_BYTES: "12.5" })).toContain("MAX_UPLOAD_BYTES: expected an integer >= 1024, got '12.5'");
    expect(errorOf({ UPLOAD_FPS: "60" })).toContain("UPLOAD_FPS: expected a number 0.2..30, got '60'");
    expect(errorOf({ LOG_LEVEL: "loud" })).toContain("LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got 'loud'");
    expect(errorOf({ MAX_CONCURRENT_DECODES: "0" })).toContain("MAX_CONCURRENT_DECODES: expected an integer 1..256, got '0'");
  });

  it("names every bad variable at once", () => {
    const message = errorOf({ PORT: "-1", NODE_ENV: "prod" });
    expect(message).toContain("PORT: expected an integer 0..65535, got '-1'");
    expect(message).toContain("NODE_ENV: expected one of development, test, production, got 'prod'");
  });

  it("refuses a non-postgres DATABASE_URL without showing its password", () => {
    const message = errorOf({ DATABASE_URL: "mysql://app:s3cret@db.example:3306/emotion" });
    expect(message).toContain("DATABASE_URL: expected a postgres:// or postgresql:// URL");
    expect(message).toContain("got 'mysql://***@db.example:3306/emotion'");
    expect(message).not.toContain("s3cret");
    expect(errorOf({ DATABASE_URL: "localhost:5432" })).toContain("DATABASE_URL: expected a postgres://");
    expect(parseEnv({ DATABASE_URL: "postgresql://u:p@localhost:5432/db" }).DATABASE_URL).toBe("postgresql://u:p@localhost:5432/db");
  });

  it("wants an http(s) PUBLIC_URL and drops its trailing slash", () => {
    expect(errorOf({ PUBLIC_URL: "talks.example.com" })).toContain("PUBLIC_URL: expected an http:// or https:// URL");
    expect(errorOf({ PUBLIC_URL: "ftp://talks.example.com" })).toContain("PUBLIC_URL: expected an http:// or https:// URL");
    expect(parseEnv({ PUBLIC_URL: "https://talks.example.com/" }).PUBLIC_URL).toBe("https://talks.example.com");
  });

  it("reads cluster mode and execution providers, refusing what cannot work", () => {
    expect(parseEnv({ REDIS_URL: "redis://redis:6379", INSTANCE_ID: "emotion-1", INFERENCE_PROVIDERS: "cuda, cpu" })).toMatchObject({
      REDIS_URL: "redis://redis:6379",
      INSTANCE_ID: "emotion-1",
      INFERENCE_PROVIDERS: ["cuda", "cpu"],
    });
    expect(parseEnv({ REDIS_URL: "" }).REDIS_URL).toBeUndefined();
    expect(errorOf({ REDIS_URL: "http://redis:6379" })).toContain("REDIS_URL: expected a redis:// or rediss:// URL");
    expect(errorOf({ REDIS_URL: "http://:secret@redis:6379" })).not.toContain("secret");
    expect(errorOf({ INFERENCE_PROVIDERS: "gpu" })).toContain("INFERENCE_PROVIDERS: expected ONNX Runtime providers");
    expect(errorOf({ INSTANCE_ID: "a b" })).toContain("INSTANCE_ID");
    expect(errorOf({ MODEL_POLL_MS: "10" })).toContain("MODEL_POLL_MS: expected an integer 200..600000");
  });

  it("believes no proxy headers unless TRUST_PROXY says so", () => {
    expect(parseEnv({}).TRUST_PROXY).toBe(false);
    expect(parseEnv({ TRUST_PROXY: "true" }).TRUST_PROXY).toBe(true);
    expect(parseEnv({ TRUST_PROXY: "1" }).TRUST_PROXY).toBe(1);
    expect(parseEnv({ TRUST_PROXY: "10.0.0.0/8, 127.0.0.1" }).TRUST_PROXY).toEqual(["10.0.0.0/8", "127.0.0.1"]);
    expect(errorOf({ TRUST_PROXY: "yes" })).toContain(
      "TRUST_PROXY: expected true, false, a hop count, or proxy addresses/CIDRs separated by commas, got 'yes'",
    );
  });

  it("accepts .env.example as written, and it lists every variable", () => {
    const lines = readFileSync(new URL("../.env.example", import.meta.url), "utf8").split("\n");
    const set = Object.fromEntries(lines.filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    expect(() => parseEnv(set)).not.toThrow();
    const mentioned = new Set(lines.map((l) => /^#?\s*([A-Z_]+)=/.exec(l)?.[1]).filter(Boolean));
    const documented = Object.keys(Env.in.shape).filter((name) => !["INIT_CWD", "NODE_ENV"].includes(name));
    expect(documented.filter((name) => !mentioned.has(name))).toEqual([]);
  });
});
