import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import { AppError, CROP_SIDE, EMOTIONS, type Emotion } from "@emotion/protocol";
import { rowsOn, toHex } from "./models";
import { UUID, type Database } from "./schema";

/** Bytes of one 48×48 grey crop. */
export const CROP_BYTES = CROP_SIDE * CROP_SIDE;
const MAX_SEQ = 2_147_483_647;
/** The same correction (listener, seq, label) again within this many seconds is a re-send of the first. */
const RESEND_WINDOW_S = 600;

export interface CorrectionInput {
  sessionId: string;
  participantId: string;
  /** The listener's crop counter of the reading being corrected. */
  seq: number;
  /** What the listener says they felt. */
  label: Emotion;
  /** The 2,304-byte crop, only when the listener consented to share it. */
  crop: Uint8Array | null;
}

export interface StoredCorrection {
  id: string;
  /** What the model read for that crop; null when no reading with that seq is stored (yet). */
  predicted: Emotion | null;
  modelVersion: number | null;
  /** The training sample made from the crop; null without a crop, or when the same image was stored (or removed) before. */
  sampleId: string | null;
}

export interface ContributionCounts {
  corrections: number;
  samples: number;
}

export interface CorrectionSummary {
  corrections: number;
  /** Corrections whose crop is kept as a training sample. */
  withCrop: number;
  /** Corrections whose label is what the model read. */
  agreed: number;
  confusion: Array<{ predicted: Emotion | null; label: Emotion; n: number }>;
}

export interface FeedbackRepository {
  /** Stores a listener's correction next to what the model read; with a crop, also a training sample (source "feedback"). */
  addCorrection(input: CorrectionInput): Promise<StoredCorrection>;
  /** Deletes a listener's corrections and samples, rows and crop bytes. */
  withdrawContributions(participantId: string): Promise<ContributionCounts>;
  /** Deletes every correction and sample of a session. */
  deleteSessionContributions(sessionId: string): Promise<ContributionCounts>;
  correctionSummary(sessionId: string): Promise<CorrectionSummary>;
}

/** sha256 of a crop's pixels: a removed image stays known by it, so it is never stored again. */
export const hashPixels = (pixels: Uint8Array) => createHash("sha256").update(pixels).digest("hex");

const EMOTION_ARRAY = sql.raw(`ARRAY[${EMOTIONS.map((e) => `'${e}'`).join(", ")}]`);

function checkCorrection(input: CorrectionInput): void {
  if (!Number.isInteger(input.seq) || input.seq < 0 || input.seq > MAX_SEQ) throw new AppError("VALIDATION_FAILED", `seq must be an integer in 0..${MAX_SEQ}`);
  if (!(EMOTIONS as readonly string[]).includes(input.label)) throw new AppError("VALIDATION_FAILED", `label must be one of ${EMOTIONS.join(", ")}`);
  if (input.crop !== null && (!(input.crop instanceof Uint8Array) || input.crop.byteLength !== CROP_BYTES))
    throw new AppError("VALIDATION_FAILED", `crop must be ${CROP_BYTES} bytes (a ${CROP_SIDE}×${CROP_SIDE} grey image)`);
}

/**
 * VACUUM after crops were deleted: their rows leave the pages and indexes now rather than whenever autovacuum
 * runs (embedded PGlite has none). Skipped inside a transaction, where VACUUM cannot run.
 */
export async function reclaimSampleSpace(db: Database): Promise<void> {
  await db.execute(sql`VACUUM training_samples`).catch(() => {});
}

export function createFeedbackRepository(db: Database): FeedbackRepository {
  const rows = rowsOn(db);

  async function deleteWhere(column: "participant_id" | "session_id", id: string): Promise<ContributionCounts> {
    if (!UUID.test(id)) return { corrections: 0, samples: 0 };
    const col = sql.raw(column);
    // Samples first (a feedback sample also cascades from its correction, but imported ones may carry the session too).
    const [counts] = await rows<{ samples: number; corrections: number }>(sql`
      WITH s AS (DELETE FROM training_samples WHERE ${col} = ${id} RETURNING 1),
           c AS (DELETE FROM corrections WHERE ${col} = ${id} RETURNING 1)
      SELECT (SELECT count(*) FROM s)::int AS samples, (SELECT count(*) FROM c)::int AS corrections`);
    if (counts!.samples > 0) await reclaimSampleSpace(db);
    return { corrections: counts!.corrections, samples: counts!.samples };
  }

  return {
    async addCorrection(input) {
      checkCorrection(input);
      if (!UUID.test(input.sessionId) || !UUID.test(input.participantId)) throw new AppError("NOT_FOUND", "no such listener in this session");
      return db.transaction(async (tx) => {
        const q = rowsOn(tx as unknown as Database);
        // An ack lost on the way makes the listener send the same correction again: that is the first one, not a second.
        const [again] = await q<{ id: string; predicted: Emotion | null; model_version: number | null; sample_id: string | null }>(sql`
          SELECT c.id, c.predicted, c.model_version, (SELECT s.id FROM training_samples s WHERE s.correction_id = c.id) AS sample_id
          FROM corrections c
          WHERE c.participant_id = ${input.participantId} AND c.session_id = ${input.sessionId} AND c.seq = ${input.seq} AND c.label = ${input.label}
            AND c.created_at > now() - ${sql.raw(`interval '${RESEND_WINDOW_S} seconds'`)}
          ORDER BY c.created_at DESC LIMIT 1`);
        // With its crop when the first came without one (the sample is then attached to the first).
        const storeCrop = async (correctionId: string): Promise<string | null> => {
          if (!input.crop) return null;
          const [sample] = await q<{ id: string }>(sql`
            INSERT INTO training_samples (label, pixels, sha256, source, session_id, participant_id, correction_id)
            VALUES (${input.label}, decode(${toHex(input.crop)}, 'hex'), ${hashPixels(input.crop)}, 'feedback',
                    ${input.sessionId}, ${input.participantId}, ${correctionId})
            ON CONFLICT (sha256) DO NOTHING RETURNING id`);
          return sample?.id ?? null;
        };
        if (again)
          return { id: again.id, predicted: again.predicted, modelVersion: again.model_version, sampleId: again.sample_id ?? (await storeCrop(again.id)) };
        // The newest reading with that seq: a listener that reloads its page counts seq from 0 again.
        const [row] = await q<{ id: string; predicted: Emotion | null; model_version: number | null }>(sql`
          WITH r AS (
            SELECT dominant, model_version FROM readings
            WHERE participant_id = ${input.participantId} AND seq = ${input.seq} ORDER BY captured_at DESC LIMIT 1)
          INSERT INTO corrections (session_id, participant_id, seq, label, predicted, model_version)
          SELECT p.session_id, p.id, ${input.seq}, ${input.label}, (${EMOTION_ARRAY})[(SELECT dominant FROM r) + 1], (SELECT model_version FROM r)
          FROM participants p WHERE p.id = ${input.participantId} AND p.session_id = ${input.sessionId}
          RETURNING id, predicted, model_version`);
        if (!row) throw new AppError("NOT_FOUND", "no such listener in this session");
        return { id: row.id, predicted: row.predicted, modelVersion: row.model_version, sampleId: await storeCrop(row.id) };
      });
    },

    withdrawContributions: (participantId) => deleteWhere("participant_id", participantId),
    deleteSessionContributions: (sessionId) => deleteWhere("session_id", sessionId),

    async correctionSummary(sessionId) {
      const empty: CorrectionSummary = { corrections: 0, withCrop: 0, agreed: 0, confusion: [] };
      if (!UUID.test(sessionId)) return empty;
      const cells = await rows<{ predicted: Emotion | null; label: Emotion; n: number; with_crop: number }>(sql`
        SELECT c.predicted, c.label, count(*)::int AS n, count(s.id)::int AS with_crop
        FROM corrections c LEFT JOIN training_samples s ON s.correction_id = c.id AND s.removed_at IS NULL
        WHERE c.session_id = ${sessionId}
        GROUP BY c.predicted, c.label ORDER BY n DESC, c.label, c.predicted`);
      return cells.reduce<CorrectionSummary>(
        (sum, c) => ({
          corrections: sum.corrections + c.n,
          withCrop: sum.withCrop + c.with_crop,
          agreed: sum.agreed + (c.predicted === c.label ? c.n : 0),
          confusion: [...sum.confusion, { predicted: c.predicted, label: c.label, n: c.n }],
        }),
        empty,
      );
    },
  };
}
