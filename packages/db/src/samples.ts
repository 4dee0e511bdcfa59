import { sql, type SQL } from "drizzle-orm";
import { AppError, EMOTIONS, type Emotion } from "@emotion/protocol";
import { CROP_BYTES, hashPixels, reclaimSampleSpace } from "./feedback";
import { rowsOn, toBytes, toHex } from "./models";
import { UUID, type Database } from "./schema";

/** A source name: what `emotion data add --source` and `remove --source` take. */
export const SAMPLE_SOURCE = /^[A-Za-z0-9._-]{1,64}$/;
/** Listeners' corrections; an import may not use this name. */
export const FEEDBACK_SOURCE = "feedback";
const MAX_ORIGIN = 512;
const INSERT_BATCH = 500;

export interface SampleInput {
  label: Emotion;
  /** 48×48 grey pixels, row by row. */
  pixels: Uint8Array;
  /** Where it came from inside the source (a file path, a CSV row). */
  origin?: string | null;
}

export interface SampleRow {
  id: string;
  label: Emotion;
  source: string;
  origin: string | null;
  sessionId: string | null;
  participantId: string | null;
  correctionId: string | null;
  createdAt: Date;
  removedAt: Date | null;
}

export interface SampleFilter {
  source?: string;
  sessionId?: string;
}

export interface StoredSample {
  id: string;
  label: Emotion;
  pixels: Uint8Array;
}

export interface SamplesRepository {
  /** Stores samples under a named source; an image stored before (or removed before) is skipped and named. */
  addSamples(source: string, samples: readonly SampleInput[]): Promise<{ added: number; skipped: Array<string | null> }>;
  /** Samples in use (not removed), oldest first, at most `limit`. */
  listSamples(filter?: SampleFilter & { limit?: number; includeRemoved?: boolean }): Promise<SampleRow[]>;
  countSamples(filter?: SampleFilter): Promise<{ active: number; removed: number }>;
  /** Removes (tombstones: bytes deleted, image remembered) by id, session or source. Returns how many. */
  removeSamples(filter: { id: string } | { sessionId: string } | { source: string }): Promise<{ removed: number }>;
  /** Every sample in use, in id order, `batchSize` at a time; removed samples never appear. */
  exportSamples(filter?: SampleFilter & { batchSize?: number }): AsyncIterable<StoredSample[]>;
}

/** A Postgres text[] literal (one parameter whatever the row count). */
function textArray(values: ReadonlyArray<string | null>): string {
  return `{${values.map((v) => (v === null ? "NULL" : `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`)).join(",")}}`;
}

function checkSource(source: string): void {
  if (!SAMPLE_SOURCE.test(source))
    throw new AppError("VALIDATION_FAILED", `source must be 1-64 letters, digits, '.', '_' or '-' (got ${JSON.stringify(source)})`);
}

function checkSample(s: SampleInput, i: number): void {
  if (!(EMOTIONS as readonly string[]).includes(s.label)) throw new AppError("VALIDATION_FAILED", `sample ${i}: label must be one of ${EMOTIONS.join(", ")}`);
  if (!(s.pixels instanceof Uint8Array) || s.pixels.byteLength !== CROP_BYTES)
    throw new AppError("VALIDATION_FAILED", `sample ${i}: pixels must be ${CROP_BYTES} bytes`);
}

function whereOf(filter: SampleFilter): SQL {
  const parts: SQL[] = [sql`true`];
  if (filter.source !== undefined) {
    checkSource(filter.source);
    parts.push(sql`source = ${filter.source}`);
  }
  if (filter.sessionId !== undefined) parts.push(UUID.test(filter.sessionId) ? sql`session_id = ${filter.sessionId}` : sql`false`);
  return sql.join(parts, sql` AND `);
}

interface RawSample {
  id: string;
  label: Emotion;
  source: string;
  origin: string | null;
  session_id: string | null;
  participant_id: string | null;
  correction_id: string | null;
  created_ms: number;
  removed_ms: number | null;
}

export function createSamplesRepository(db: Database): SamplesRepository {
  const rows = rowsOn(db);

  return {
    async addSamples(source, samples) {
      checkSource(source);
      if (source === FEEDBACK_SOURCE)
        throw new AppError("VALIDATION_FAILED", `source "${FEEDBACK_SOURCE}" is reserved for listeners' corrections; name the import`);
      samples.forEach(checkSample);
      let added = 0;
      const skipped: Array<string | null> = [];
      for (let at = 0; at < samples.length; at += INSERT_BATCH) {
        const batch = samples.slice(at, at + INSERT_BATCH).map((s) => ({ ...s, sha: hashPixels(s.pixels), origin: s.origin?.slice(0, MAX_ORIGIN) ?? null }));
        const inserted = await rows<{ sha256: string }>(sql`
          INSERT INTO training_samples (label, pixels, sha256, source, origin)
          SELECT label, decode(hex, 'hex'), sha, ${source}, origin
          FROM unnest(${textArray(batch.map((s) => s.label))}::text[], ${textArray(batch.map((s) => toHex(s.pixels)))}::text[],
                      ${textArray(batch.map((s) => s.sha))}::text[], ${textArray(batch.map((s) => s.origin))}::text[]) AS u(label, hex, sha, origin)
          ON CONFLICT (sha256) DO NOTHING RETURNING sha256`);
        const stored = new Set(inserted.map((r) => r.sha256));
        added += stored.size;
        for (const s of batch) {
          if (stored.has(s.sha))
            stored.delete(s.sha); // a second copy inside the batch is a skip too
          else skipped.push(s.origin);
        }
      }
      return { added, skipped };
    },

    async listSamples(filter = {}) {
      const limit = filter.limit ?? 100_000;
      if (!Number.isInteger(limit) || limit < 1 || limit > 1_000_000) throw new AppError("VALIDATION_FAILED", "limit must be an integer in 1..1000000");
      const live = filter.includeRemoved ? sql`true` : sql`removed_at IS NULL`;
      const list = await rows<RawSample>(sql`
        SELECT id, label, source, origin, session_id, participant_id, correction_id,
               extract(epoch from created_at)::float8 * 1000 AS created_ms, extract(epoch from removed_at)::float8 * 1000 AS removed_ms
        FROM training_samples WHERE ${whereOf(filter)} AND ${live} ORDER BY created_at, id LIMIT ${limit}`);
      return list.map((r) => ({
        id: r.id,
        label: r.label,
        source: r.source,
        origin: r.origin,
        sessionId: r.session_id,
        participantId: r.participant_id,
        correctionId: r.correction_id,
        createdAt: new Date(Number(r.created_ms)),
        removedAt: r.removed_ms === null ? null : new Date(Number(r.removed_ms)),
      }));
    },

    async countSamples(filter = {}) {
      const [row] = await rows<{ active: number; removed: number }>(sql`
        SELECT count(*) FILTER (WHERE removed_at IS NULL)::int AS active, count(*) FILTER (WHERE removed_at IS NOT NULL)::int AS removed
        FROM training_samples WHERE ${whereOf(filter)}`);
      return row!;
    },

    async removeSamples(filter) {
      let where: SQL;
      if ("id" in filter) where = UUID.test(filter.id) ? sql`id = ${filter.id}` : sql`false`;
      else if ("sessionId" in filter) where = whereOf({ sessionId: filter.sessionId });
      else where = whereOf({ source: filter.source });
      const [row] = await rows<{ n: number }>(sql`
        WITH r AS (UPDATE training_samples SET pixels = NULL, removed_at = now() WHERE ${where} AND removed_at IS NULL RETURNING 1)
        SELECT count(*)::int AS n FROM r`);
      if (row!.n > 0) await reclaimSampleSpace(db);
      return { removed: row!.n };
    },

    async *exportSamples(filter = {}) {
      const batchSize = filter.batchSize ?? 1000;
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000)
        throw new AppError("VALIDATION_FAILED", "batchSize must be an integer in 1..100000");
      const where = whereOf(filter);
      let after = "00000000-0000-0000-0000-000000000000";
      for (;;) {
        const batch = await rows<{ id: string; label: Emotion; pixels: unknown }>(sql`
          SELECT id, label, pixels FROM training_samples
          WHERE ${where} AND removed_at IS NULL AND id > ${after}::uuid ORDER BY id LIMIT ${batchSize}`);
        if (batch.length === 0) return;
        yield batch.map((r) => ({ id: r.id, label: r.label, pixels: toBytes(r.pixels) }));
        after = batch[batch.length - 1]!.id;
        if (batch.length < batchSize) return;
      }
    },
  };
}
