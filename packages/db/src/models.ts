import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { sql, type SQL } from "drizzle-orm";
import { AppError, describeZodError, ModelCard, ModelRegistry, PROMOTION_TOLERANCE_POINTS, type ModelStatus, type ModelVersionView } from "@emotion/protocol";
import type { Database } from "./schema";

/** models/ at the repository root: the shipped ONNX files, their cards and registry.json. */
export const DEFAULT_MODELS_DIR = fileURLToPath(new URL("../../../models", import.meta.url));

// Every promotion, rollback, registration and seed waits on this, so two admins or instances never interleave.
const MODELS_LOCK = 727_411_007;

export interface ModelInfo {
  version: number;
  source: "shipped" | "trained";
  status: ModelStatus;
  /** Shipped versions: the file name under the models folder; trained ones: null. */
  file: string | null;
  card: ModelCard;
  publicTestAccuracy: number | null;
  createdAt: Date;
  promotedAt: Date | null;
}

export interface ActiveModel {
  version: number;
  card: ModelCard;
  /** The ONNX bytes of a trained version; null for a shipped one (read `file`). */
  onnx: Uint8Array | null;
  /** Absolute path of a shipped version's ONNX file; null for a trained one. */
  file: string | null;
}

export interface ActivationResult {
  version: number;
  previous: number | null;
  forced: boolean;
}

export interface ModelActivation {
  version: number;
  previousVersion: number | null;
  action: "seed" | "promote" | "rollback";
  forced: boolean;
  at: Date;
  undone: boolean;
}

export interface SeedResult {
  /** Versions of the registry inserted by this call. */
  inserted: number[];
  /** Registry versions whose number a different model already holds in this database (left as they are). */
  conflicts: number[];
}

export interface ModelsRepository {
  /** Inserts the shipped versions of registry.json that are missing and activates the default on a fresh database. Idempotent; safe when instances start together. */
  seedModels(): Promise<SeedResult>;
  listModels(): Promise<ModelInfo[]>;
  /** The active version with its card and bytes (or file). */
  activeModel(): Promise<ActiveModel>;
  /** Only the active version's number: one index lookup, cheap enough to poll every 2 s. */
  activeModelVersion(): Promise<number>;
  /** One version with its bytes (or file), active or not; null when unknown. */
  getModel(version: number): Promise<(ActiveModel & { status: ModelStatus }) | null>;
  /** Stores a trained version (bytes and card) as a candidate; returns its number. */
  registerModel(input: { card: unknown; onnx: Uint8Array }): Promise<{ version: number }>;
  /** Makes `version` active. Refused (CONFLICT, naming both accuracies) when it is worse on PublicTest by more than PROMOTION_TOLERANCE_POINTS, unless forced. */
  promoteModel(version: number, options?: { force?: boolean }): Promise<ActivationResult>;
  /** Undoes the latest promotion not yet undone: its previous version is active again. */
  rollbackModel(): Promise<ActivationResult>;
  /** Every change of the active version, oldest first. */
  modelHistory(): Promise<ModelActivation[]>;
}

/** A version as GET /api/models and `emotion models list` show it (no bytes, no full card). */
export function toModelVersionView(m: ModelInfo): ModelVersionView {
  const extra = m.card.extraEval;
  return {
    version: m.version,
    source: m.source,
    status: m.status,
    active: m.status === "active",
    publicTest: { accuracy: m.card.publicTest?.accuracy ?? m.publicTestAccuracy },
    feedbackEval: extra ? { accuracy: extra.accuracy, n: extra.n } : null,
    macsPerFace: typeof m.card.macsPerFace === "number" ? m.card.macsPerFace : null,
    createdAt: m.createdAt.toISOString(),
    promotedAt: m.promotedAt?.toISOString() ?? null,
  };
}

type Rows = <T>(q: SQL) => Promise<T[]>;

/** Raw rows from either driver (postgres-js answers an array, PGlite `{ rows }`). */
export function rowsOn(db: Database): Rows {
  return async <T>(q: SQL): Promise<T[]> => {
    const result = (await db.execute(q)) as unknown as T[] | { rows: T[] };
    return Array.isArray(result) ? [...result] : result.rows;
  };
}

/** bytea from either driver: a Uint8Array (Buffer) or, from some paths, '\x…' hex text. */
export function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === "string" && value.startsWith("\\x")) return new Uint8Array(Buffer.from(value.slice(2), "hex"));
  throw new TypeError("expected bytea");
}

export const toHex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");

interface RawModel {
  version: number;
  source: "shipped" | "trained";
  status: ModelStatus;
  file: string | null;
  card: unknown;
  public_test_accuracy: number | null;
  created_ms: number;
  promoted_ms: number | null;
}

const SELECT_MODEL = sql.raw(`version, source, status, file, card, public_test_accuracy,
  extract(epoch from created_at)::float8 * 1000 AS created_ms, extract(epoch from promoted_at)::float8 * 1000 AS promoted_ms`);

const cardOf = (card: unknown): ModelCard => (typeof card === "string" ? JSON.parse(card) : card) as ModelCard;

function toInfo(r: RawModel): ModelInfo {
  return {
    version: r.version,
    source: r.source,
    status: r.status,
    file: r.file,
    card: cardOf(r.card),
    publicTestAccuracy: r.public_test_accuracy === null ? null : Number(r.public_test_accuracy),
    createdAt: new Date(Number(r.created_ms)),
    promotedAt: r.promoted_ms === null ? null : new Date(Number(r.promoted_ms)),
  };
}

const points = (accuracy: number) => `${(accuracy * 100).toFixed(2)} %`;

function parseCard(card: unknown, where: string): ModelCard {
  const parsed = ModelCard.safeParse(card);
  if (!parsed.success) throw new AppError("VALIDATION_FAILED", `${where}: not a model card (${describeZodError(parsed.error)})`);
  return parsed.data;
}

function readRegistry(modelsDir: string): ModelRegistry {
  const path = join(modelsDir, "registry.json");
  if (!existsSync(path)) throw new AppError("NOT_READY", `no model registry at ${path}: it lists the shipped model versions`);
  const parsed = ModelRegistry.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success) throw new AppError("VALIDATION_FAILED", `${path}: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/** The registry's cards, read before the transaction so no file I/O happens while the lock is held. */
function readShipped(modelsDir: string) {
  return readRegistry(modelsDir).versions.map((entry) => {
    const cardPath = join(modelsDir, entry.file.replace(/\.onnx$/, ".card.json"));
    if (!existsSync(join(modelsDir, entry.file))) throw new AppError("NOT_READY", `registry.json lists ${entry.file}, which is not in ${modelsDir}`);
    if (!existsSync(cardPath)) throw new AppError("NOT_READY", `registry.json lists ${entry.file}, whose card ${cardPath} is missing`);
    const card = parseCard(JSON.parse(readFileSync(cardPath, "utf8")), cardPath);
    return { ...entry, card };
  });
}

export function createModelsRepository(db: Database, options: { modelsDir?: string } = {}): ModelsRepository {
  const modelsDir = resolve(options.modelsDir ?? DEFAULT_MODELS_DIR);
  const rows = rowsOn(db);
  let seeded: Promise<SeedResult> | null = null;

  /** Runs `fn` in one transaction holding the models lock. */
  function locked<T>(fn: (rows: Rows) => Promise<T>): Promise<T> {
    return db.transaction(async (tx) => {
      const txRows = rowsOn(tx as unknown as Database);
      await txRows(sql`SELECT pg_advisory_xact_lock(${MODELS_LOCK})`);
      return fn(txRows);
    });
  }

  async function seedModels(): Promise<SeedResult> {
    const shipped = readShipped(modelsDir);
    return locked(async (q) => {
      const inserted: number[] = [];
      const conflicts: number[] = [];
      for (const entry of shipped) {
        const accuracy = entry.card.publicTest?.accuracy ?? null;
        const added = await q<{ version: number }>(sql`
          INSERT INTO model_versions (version, source, file, card, public_test_accuracy)
          VALUES (${entry.version}, 'shipped', ${entry.file}, ${JSON.stringify(entry.card)}::jsonb, ${accuracy})
          ON CONFLICT (version) DO NOTHING RETURNING version`);
        if (added.length) inserted.push(entry.version);
        else {
          const [held] = await q<{ source: string; file: string | null }>(sql`SELECT source, file FROM model_versions WHERE version = ${entry.version}`);
          if (held?.source !== "shipped" || held.file !== entry.file) conflicts.push(entry.version);
        }
      }
      const [active] = await q<{ version: number }>(sql`SELECT version FROM model_versions WHERE status = 'active'`);
      const fallback = shipped.find((e) => e.default)!;
      if (!active && !conflicts.includes(fallback.version)) {
        await q(sql`UPDATE model_versions SET status = 'active', promoted_at = now() WHERE version = ${fallback.version}`);
        await q(sql`INSERT INTO model_activations (version, action) VALUES (${fallback.version}, 'seed')`);
      }
      return { inserted, conflicts };
    });
  }

  /** Seeds once per process on first use; a failed seed is retried on the next call. */
  function ensureSeeded(): Promise<SeedResult> {
    seeded ??= seedModels().catch((e: unknown) => {
      seeded = null;
      throw e;
    });
    return seeded;
  }

  function toLoaded(r: RawModel & { onnx: unknown }): ActiveModel & { status: ModelStatus } {
    return {
      version: r.version,
      status: r.status,
      card: cardOf(r.card),
      onnx: r.onnx === null ? null : toBytes(r.onnx),
      file: r.file === null ? null : join(modelsDir, r.file),
    };
  }

  async function getModel(version: number) {
    if (!Number.isInteger(version) || version < 1 || version > 2_147_483_647) return null;
    await ensureSeeded();
    const [row] = await rows<RawModel & { onnx: unknown }>(sql`SELECT ${SELECT_MODEL}, onnx FROM model_versions WHERE version = ${version}`);
    return row ? toLoaded(row) : null;
  }

  async function activeVersion(q: Rows): Promise<number | null> {
    const [row] = await q<{ version: number }>(sql`SELECT version FROM model_versions WHERE status = 'active'`);
    return row?.version ?? null;
  }

  const noActive = () => new AppError("NOT_READY", "no model version is active: models/registry.json names none that this database could seed");

  return {
    async seedModels() {
      // An explicit seed (at start) also counts as the first use.
      const result = await seedModels();
      seeded = Promise.resolve(result);
      return result;
    },

    async listModels() {
      await ensureSeeded();
      return (await rows<RawModel>(sql`SELECT ${SELECT_MODEL} FROM model_versions ORDER BY version`)).map(toInfo);
    },

    async activeModel() {
      await ensureSeeded();
      const [row] = await rows<RawModel & { onnx: unknown }>(sql`SELECT ${SELECT_MODEL}, onnx FROM model_versions WHERE status = 'active'`);
      if (!row) throw noActive();
      const { status: _status, ...model } = toLoaded(row);
      return model;
    },

    async activeModelVersion() {
      await ensureSeeded();
      const version = await activeVersion(rows);
      if (version === null) throw noActive();
      return version;
    },

    getModel,

    async registerModel(input) {
      const card = parseCard(input.card, "registerModel");
      if (!(input.onnx instanceof Uint8Array) || input.onnx.byteLength < 16)
        throw new AppError("VALIDATION_FAILED", "registerModel: onnx must be the model's bytes");
      await ensureSeeded();
      return locked(async (q) => {
        const [row] = await q<{ version: number }>(sql`
          INSERT INTO model_versions (version, source, card, onnx, public_test_accuracy)
          SELECT coalesce(max(version), 0) + 1, 'trained', ${JSON.stringify(card)}::jsonb, decode(${toHex(input.onnx)}, 'hex'), ${card.publicTest?.accuracy ?? null}
          FROM model_versions RETURNING version`);
        return { version: row!.version };
      });
    },

    async promoteModel(version, options = {}) {
      const forced = options.force === true;
      if (!Number.isInteger(version) || version < 1) throw new AppError("VALIDATION_FAILED", `version must be an integer ≥ 1 (got ${version})`);
      await ensureSeeded();
      return locked(async (q) => {
        const found = await q<{ version: number; status: ModelStatus; card: unknown }>(
          sql`SELECT version, status, card FROM model_versions WHERE version = ${version} OR status = 'active'`,
        );
        const target = found.find((r) => r.version === version);
        const active = found.find((r) => r.status === "active") ?? null;
        if (!target) throw new AppError("NOT_FOUND", `no model version ${version} (emotion models list shows them)`);
        if (target.status === "active") throw new AppError("CONFLICT", `version ${version} is already active`);
        const candidateAccuracy = cardOf(target.card).publicTest?.accuracy;
        const activeAccuracy = active ? cardOf(active.card).publicTest?.accuracy : undefined;
        if (!forced && active && activeAccuracy !== undefined) {
          if (candidateAccuracy === undefined)
            throw new AppError(
              "CONFLICT",
              `version ${version} has no PublicTest accuracy in its card, so it cannot be compared with version ${active.version} (${points(activeAccuracy)}); force to promote anyway`,
            );
          const below = (activeAccuracy - candidateAccuracy) * 100;
          if (below > PROMOTION_TOLERANCE_POINTS + 1e-9)
            throw new AppError(
              "CONFLICT",
              `version ${version} is worse on PublicTest than the active version ${active.version}: ${points(candidateAccuracy)} against ${points(activeAccuracy)} ` +
                `(${below.toFixed(2)} points below; the limit is ${PROMOTION_TOLERANCE_POINTS}); force to promote anyway`,
            );
        }
        // Retire first: the partial unique index admits one active row at any moment.
        if (active) await q(sql`UPDATE model_versions SET status = 'retired' WHERE version = ${active.version}`);
        await q(sql`UPDATE model_versions SET status = 'active', promoted_at = now() WHERE version = ${version}`);
        await q(
          sql`INSERT INTO model_activations (version, previous_version, action, forced) VALUES (${version}, ${active?.version ?? null}, 'promote', ${forced})`,
        );
        return { version, previous: active?.version ?? null, forced };
      });
    },

    async rollbackModel() {
      await ensureSeeded();
      return locked(async (q) => {
        const [last] = await q<{ id: number; version: number; previous_version: number | null }>(sql`
          SELECT id, version, previous_version FROM model_activations
          WHERE action = 'promote' AND undone_at IS NULL ORDER BY id DESC LIMIT 1`);
        if (!last || last.previous_version === null)
          throw new AppError("CONFLICT", "nothing to roll back: no promotion since the shipped default was activated");
        const current = await activeVersion(q);
        await q(sql`UPDATE model_versions SET status = 'retired' WHERE status = 'active'`);
        await q(sql`UPDATE model_versions SET status = 'active', promoted_at = now() WHERE version = ${last.previous_version}`);
        await q(sql`UPDATE model_activations SET undone_at = now() WHERE id = ${last.id}`);
        await q(sql`INSERT INTO model_activations (version, previous_version, action) VALUES (${last.previous_version}, ${current}, 'rollback')`);
        return { version: last.previous_version, previous: current, forced: false };
      });
    },

    async modelHistory() {
      await ensureSeeded();
      const list = await rows<{
        version: number;
        previous_version: number | null;
        action: ModelActivation["action"];
        forced: boolean;
        at_ms: number;
        undone: boolean;
      }>(sql`
        SELECT version, previous_version, action, forced, extract(epoch from at)::float8 * 1000 AS at_ms, undone_at IS NOT NULL AS undone
        FROM model_activations ORDER BY id`);
      return list.map((r) => ({
        version: r.version,
        previousVersion: r.previous_version,
        action: r.action,
        forced: r.forced,
        at: new Date(Number(r.at_ms)),
        undone: r.undone,
      }));
    },
  };
}
