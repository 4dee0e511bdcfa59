// Shared by the deployment-file checks: where the files are and what the server accepts.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

export function readRepoFile(path: string): string {
  return readFileSync(`${REPO_ROOT}/${path}`, "utf8");
}

/** Every document of a YAML file, as plain data; a syntax error fails with the file's name. */
export function readYamlDocuments(path: string): unknown[] {
  const documents = parseAllDocuments(readRepoFile(path), { merge: true });
  return documents.map((d) => {
    if (d.errors.length > 0) throw new Error(`${path}: ${d.errors.map((e) => e.message).join("; ")}`);
    return d.toJS() as unknown;
  });
}

/** The variables apps/server/.env.example documents (set or commented out): the settings the server reads. */
export function readServerVariables(): Set<string> {
  const names = [...readRepoFile("apps/server/.env.example").matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
  return new Set(names);
}

/** A value apps/server/.env.example sets: the default the deployment files must agree with. */
export function readExampleValue(name: string): string {
  const match = new RegExp(`^${name}=(.*)$`, "m").exec(readRepoFile("apps/server/.env.example"));
  if (!match) throw new Error(`apps/server/.env.example sets no ${name}`);
  return match[1]!.trim();
}

/** Compose's "${VAR:-default}" / "${VAR}" interpolation with nothing set: what `docker compose config` gives. */
export function interpolateDefaults(value: unknown): unknown {
  if (typeof value === "string") return value.replace(/\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}/g, (_, _name: string, fallback?: string) => fallback ?? "");
  if (Array.isArray(value)) return value.map(interpolateDefaults);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateDefaults(v)]));
  return value;
}

/** Seconds of a Go-style duration such as "30s", "1m30s" or "1h" (compose and HAProxy use them). */
export function toSeconds(duration: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
  const parts = [...duration.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== duration) throw new Error(`not a duration: '${duration}'`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]!]!, 0);
}
