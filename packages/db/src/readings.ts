import { sql, type SQL } from "drizzle-orm";
import { dominantOf, EMOTIONS, type Emotion, type Probabilities, type ReadingBucket, type ReadingQuality } from "@emotion/protocol";
import { decodeEmotion, decodeQuality, encodeEmotion, encodeQuality, fromPermille, toPermille } from "./codec";
import { UUID, type Database } from "./schema";

type RawRows = <T>(q: SQL) => Promise<T[]>;

/** One reading (a classified crop, a refused face or a no-face beat). Times are epoch ms. */
export interface ReadingInput {
  sessionId: string;
  participantId: string;
  capturedAt: number;
  serverAt: number;
  /** ms since the session went live. */
  tMs: number;
  quality: ReadingQuality;
  dominant: Emotion | null;
  probabilities: Probabilities | null;
  /**
   * The listener's crop counter: with participantId and capturedAt it identifies a crop, so a crop sent
   * twice is stored once. Absent for recordings.
   */
  seq?: number | null;
  /**
   * What the dashboard showed for this reading (the listener's temporal filter), when it differs from
   * `probabilities`. Not stored per row: the rollup keeps its sums, so reports tell what was shown.
   */
  shown?: Probabilities | null;
  /** The emotion model version in use: the one that classified the crop, or that was serving when no face came (monitoring counts both). */
  modelVersion?: number | null;
}

export type StoredReading = Omit<ReadingInput, "seq" | "shown" | "modelVersion">;

/** Room averages over one time bucket. */
export interface RoomBucket {
  /** Bucket start, ms since the session went live. */
  tMs: number;
  /** Readings stored in the bucket (faces, refused faces and no-face beats). */
  readings: number;
  /** Readings with a classified face. */
  faces: number;
  /** Mean probabilities over the faces; null when there were none. */
  average: Probabilities | null;
  /** Share of faces per dominant emotion (0..1); all 0 when there were none. */
  shares: Probabilities;
}

export interface TimeRange {
  /** Inclusive, ms since the session went live (default 0). */
  fromMs?: number;
  /** Exclusive (default: no end). */
  toMs?: number;
}

export interface ReadingsRepository {
  /** Stores readings with ONE statement; duplicates (same participant and tMs) are skipped. Returns rows inserted. */
  insertReadings(rows: readonly ReadingInput[]): Promise<number>;
  countReadings(sessionId: string): Promise<number>;
  /** Each participant's most recent reading in a session (rebuilds a live room's cache). */
  latestReadings(sessionId: string): Promise<StoredReading[]>;
  /** Room averages per bucket (default 1000 ms) in [fromMs, toMs). */
  roomTimeline(sessionId: string, range?: TimeRange & { bucketMs?: number }): Promise<RoomBucket[]>;
  /** One participant's readings in [fromMs, toMs), in time order. */
  participantTimeline(sessionId: string, participantId: string, range?: TimeRange): Promise<StoredReading[]>;
  /**
   * The rollup merged into buckets of `factor` * BUCKET_MS, per participant (probability sums in 0..1
   * units) of what the dashboard showed: the temporal filter's readings where it ran, else the classified ones.
   */
  reportBuckets(sessionId: string, factor?: number): Promise<ReportBucket[]>;
  /** Streams a session's readings in (participant, t_ms) order, `batchSize` rows at a time (exports). */
  streamReadings(sessionId: string, batchSize?: number): AsyncIterable<StoredReading[]>;
  /** The listener crop counters (seq) stored for one participant, ascending, repeats included (audits: acked vs stored). */
  storedSeqs(sessionId: string, participantId: string): Promise<number[]>;
}

/** One participant's readings in one report bucket: the shape packages/analytics reads. */
export type ReportBucket = ReadingBucket;

/** Size of the reading_buckets rollup buckets. */
export const BUCKET_MS = 5000;
// s_/d_: sums and dominant counts of the classified probabilities; v_/vd_: of what was shown (filtered).
const ROLLUP_COLUMNS = ["readings", "faces", "classified", ...["s", "d", "v", "vd"].flatMap((p) => EMOTIONS.map((e) => `${p}_${e}`))];
const ROLLUP_ADD = sql.raw(ROLLUP_COLUMNS.map((c) => `${c} = reading_buckets.${c} + excluded.${c}`).join(", "));

const P_COLUMNS = ["p_angry", "p_disgust", "p_fear", "p_happy", "p_sad", "p_surprise", "p_neutral"] as const;
const MAX_T = 2_147_483_647;

// Arrays travel as one Postgres array literal per column: 13 parameters whatever the row count, so a
// 1000-row flush is parsed once and never hits the 65535-parameter limit of a VALUES list.
const literal = (values: ReadonlyArray<string | number | null>) => `{${values.map((v) => (v === null ? "NULL" : v)).join(",")}}`;

function checkRow(r: ReadingInput): void {
  if (!UUID.test(r.sessionId) || !UUID.test(r.participantId)) throw new TypeError("reading ids must be UUIDs");
  if (!Number.isFinite(r.capturedAt) || !Number.isFinite(r.serverAt)) throw new TypeError("reading times must be finite");
  if (r.seq != null && !(Number.isInteger(r.seq) && r.seq >= 0 && r.seq <= MAX_T)) throw new TypeError("reading seq must be an integer in 0..2147483647");
  if (r.modelVersion != null && !(Number.isInteger(r.modelVersion) && r.modelVersion >= 1 && r.modelVersion <= MAX_T))
    throw new TypeError("reading modelVersion must be an integer in 1..2147483647");
}

interface RawReading {
  session_id: string;
  participant_id: string;
  captured_ms: number;
  server_ms: number;
  t_ms: number;
  dominant: number | null;
  quality: number;
  p_angry: number | null;
  p_disgust: number | null;
  p_fear: number | null;
  p_happy: number | null;
  p_sad: number | null;
  p_surprise: number | null;
  p_neutral: number | null;
}

const SELECT_READING = sql.raw(
  `session_id, participant_id, extract(epoch from captured_at)::float8 * 1000 AS captured_ms,
   extract(epoch from server_at)::float8 * 1000 AS server_ms, t_ms, dominant, quality, ${P_COLUMNS.join(", ")}`,
);

function toReading(r: RawReading): StoredReading {
  return {
    sessionId: r.session_id,
    participantId: r.participant_id,
    capturedAt: Math.round(Number(r.captured_ms)),
    serverAt: Math.round(Number(r.server_ms)),
    tMs: r.t_ms,
    quality: decodeQuality(r.quality),
    dominant: decodeEmotion(r.dominant),
    probabilities: fromPermille(P_COLUMNS.map((c) => r[c])),
  };
}

export function createReadingsRepository(_db: Database, rows: RawRows): ReadingsRepository {
  return {
    async insertReadings(input) {
      if (input.length === 0) return 0;
      input.forEach(checkRow);
      const col = <T extends string | number | null>(f: (r: ReadingInput) => T) => literal(input.map(f));
      const probs = P_COLUMNS.map((_, i) => col((r) => (r.probabilities ? toPermille(r.probabilities[EMOTIONS[i]!]) : null)));
      const shownOf = (r: ReadingInput) => (r.probabilities ? (r.shown ?? r.probabilities) : null);
      const shown = P_COLUMNS.map((_, i) =>
        col((r) => {
          const v = shownOf(r);
          return v ? toPermille(v[EMOTIONS[i]!]) : null;
        }),
      );
      const shownDominant = col((r) => {
        const v = shownOf(r);
        return v ? EMOTIONS.indexOf(dominantOf(v)) : null;
      });
      const tMs = (r: ReadingInput) => Math.max(0, Math.min(MAX_T, Math.round(r.tMs)));
      const sumsOf = (prefix: string) => sql.raw(P_COLUMNS.map((c) => `coalesce(sum(${prefix}${c}), 0)`).join(", "));
      const countsOf = (column: string) => sql.raw(EMOTIONS.map((_, k) => `count(*) FILTER (WHERE quality = 0 AND ${column} = ${k})`).join(", "));
      // Inserting and bumping participants.readings_count in one statement keeps the counts exact.
      const result = await rows<{ n: number }>(sql`
        WITH u AS (
          SELECT * FROM unnest(
            ${col((r) => r.sessionId)}::uuid[], ${col((r) => r.participantId)}::uuid[],
            ${col((r) => r.capturedAt)}::float8[], ${col((r) => r.serverAt)}::float8[], ${col(tMs)}::int[],
            ${probs[0]}::smallint[], ${probs[1]}::smallint[], ${probs[2]}::smallint[], ${probs[3]}::smallint[],
            ${probs[4]}::smallint[], ${probs[5]}::smallint[], ${probs[6]}::smallint[],
            ${col((r) => encodeEmotion(r.dominant))}::smallint[], ${col((r) => encodeQuality(r.quality))}::smallint[],
            ${col((r) => r.seq ?? null)}::int[],
            ${shown[0]}::smallint[], ${shown[1]}::smallint[], ${shown[2]}::smallint[], ${shown[3]}::smallint[],
            ${shown[4]}::smallint[], ${shown[5]}::smallint[], ${shown[6]}::smallint[], ${shownDominant}::smallint[],
            ${col((r) => r.modelVersion ?? null)}::int[]
          ) AS u(s, p, c, sv, t, a, d, f, h, sa, su, n, dom, q, sq, v_p_angry, v_p_disgust, v_p_fear, v_p_happy, v_p_sad, v_p_surprise, v_p_neutral, v_dominant, mv)
        ), ins AS (
          INSERT INTO readings (session_id, participant_id, captured_at, server_at, t_ms,
            p_angry, p_disgust, p_fear, p_happy, p_sad, p_surprise, p_neutral, dominant, quality, seq, model_version)
          SELECT s, p, to_timestamp(c / 1000.0), to_timestamp(sv / 1000.0), t, a, d, f, h, sa, su, n, dom, q, sq, mv FROM u
          ON CONFLICT DO NOTHING
          RETURNING session_id, participant_id, t_ms, quality, dominant, p_angry, p_disgust, p_fear, p_happy, p_sad, p_surprise, p_neutral
        ), shown AS (
          -- the inserted rows with what was shown for them (a row's t_ms is unique within its participant)
          SELECT ins.*, u.v_p_angry, u.v_p_disgust, u.v_p_fear, u.v_p_happy, u.v_p_sad, u.v_p_surprise, u.v_p_neutral, u.v_dominant
          FROM ins JOIN u ON u.s = ins.session_id AND u.p = ins.participant_id AND u.t = ins.t_ms
        ), rolled AS (
          INSERT INTO reading_buckets (session_id, participant_id, bucket, ${sql.raw(ROLLUP_COLUMNS.join(", "))})
          SELECT session_id, participant_id, t_ms / ${BUCKET_MS}::int, count(*), count(*) FILTER (WHERE quality <> 4),
            count(*) FILTER (WHERE quality = 0), ${sumsOf("")}, ${countsOf("dominant")}, ${sumsOf("v_")}, ${countsOf("v_dominant")}
          FROM shown GROUP BY 1, 2, 3
          ON CONFLICT (session_id, participant_id, bucket) DO UPDATE SET ${ROLLUP_ADD}
        ), counted AS (
          UPDATE participants SET readings_count = readings_count + x.n
          FROM (SELECT participant_id, count(*)::int AS n FROM ins GROUP BY participant_id) x
          WHERE participants.id = x.participant_id
          RETURNING x.n
        )
        SELECT coalesce(sum(n), 0)::int AS n FROM counted`);
      return result[0]?.n ?? 0;
    },

    async countReadings(sessionId) {
      if (!UUID.test(sessionId)) return 0;
      const [r] = await rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM readings WHERE session_id = ${sessionId}`);
      return r?.n ?? 0;
    },

    async latestReadings(sessionId) {
      if (!UUID.test(sessionId)) return [];
      const list = await rows<RawReading>(sql`
        SELECT DISTINCT ON (participant_id) ${SELECT_READING}
        FROM readings WHERE session_id = ${sessionId}
        ORDER BY participant_id, t_ms DESC`);
      return list.map(toReading);
    },

    async roomTimeline(sessionId, range = {}) {
      if (!UUID.test(sessionId)) return [];
      const bucket = Math.max(1, Math.round(range.bucketMs ?? 1000));
      const from = Math.max(0, Math.round(range.fromMs ?? 0));
      const to = Math.min(MAX_T, Math.round(range.toMs ?? MAX_T));
      const avgs = sql.raw(P_COLUMNS.map((c) => `avg(${c})::float8 / 1000 AS ${c}`).join(", "));
      const shares = sql.raw(EMOTIONS.map((_, i) => `count(*) FILTER (WHERE quality = 0 AND dominant = ${i})::int AS d${i}`).join(", "));
      const list = await rows<Record<string, number | null>>(sql`
        SELECT (t_ms / ${bucket}::int) * ${bucket}::int AS t, count(*)::int AS readings,
               count(*) FILTER (WHERE quality = 0)::int AS faces, ${avgs}, ${shares}
        FROM readings
        WHERE session_id = ${sessionId} AND t_ms >= ${from}::int AND t_ms < ${to}::int
        GROUP BY 1 ORDER BY 1`);
      return list.map((r) => {
        const faces = r.faces ?? 0;
        const average = {} as Probabilities;
        const share = {} as Probabilities;
        EMOTIONS.forEach((e, i) => {
          average[e] = Number(r[P_COLUMNS[i]!] ?? 0);
          share[e] = faces ? Number(r[`d${i}`] ?? 0) / faces : 0;
        });
        return { tMs: Number(r.t), readings: r.readings ?? 0, faces, average: faces ? average : null, shares: share };
      });
    },

    async reportBuckets(sessionId, factor = 1) {
      if (!UUID.test(sessionId)) return [];
      const f = Math.max(1, Math.round(factor));
      // What the dashboard showed (filtered; for recordings and older rows the same as classified).
      const sums = sql.raw(EMOTIONS.map((e) => `sum(v_${e})::float8 / 1000 AS s_${e}, sum(vd_${e})::int AS d_${e}`).join(", "));
      const list = await rows<Record<string, string | number>>(sql`
        SELECT participant_id, bucket / ${f}::int AS b, sum(readings)::int AS readings, sum(faces)::int AS faces,
               sum(classified)::int AS classified, ${sums}
        FROM reading_buckets WHERE session_id = ${sessionId}
        GROUP BY participant_id, b ORDER BY participant_id, b`);
      return list.map((r) => ({
        participantId: String(r.participant_id),
        bucket: Number(r.b),
        readings: Number(r.readings),
        faces: Number(r.faces),
        classified: Number(r.classified),
        sums: EMOTIONS.map((e) => Number(r[`s_${e}`])),
        dominantCounts: EMOTIONS.map((e) => Number(r[`d_${e}`])),
      }));
    },

    async *streamReadings(sessionId, batchSize = 5000) {
      if (!UUID.test(sessionId)) return;
      // keyset pagination on the primary key: constant cost per page, however long the session
      let after: { p: string; t: number } | null = null;
      for (;;) {
        const cursor: SQL = after ? sql`AND (participant_id, t_ms) > (${after.p}::uuid, ${after.t}::int)` : sql``;
        const list = await rows<RawReading>(sql`
          SELECT ${SELECT_READING} FROM readings WHERE session_id = ${sessionId} ${cursor}
          ORDER BY participant_id, t_ms LIMIT ${batchSize}::int`);
        if (!list.length) return;
        yield list.map(toReading);
        const last = list[list.length - 1]!;
        after = { p: last.participant_id, t: last.t_ms };
        if (list.length < batchSize) return;
      }
    },

    async storedSeqs(sessionId, participantId) {
      if (!UUID.test(sessionId) || !UUID.test(participantId)) return [];
      const list = await rows<{ seq: number }>(sql`
        SELECT seq FROM readings WHERE session_id = ${sessionId} AND participant_id = ${participantId} AND seq IS NOT NULL ORDER BY seq`);
      return list.map((r) => Number(r.seq));
    },

    async participantTimeline(sessionId, participantId, range = {}) {
      if (!UUID.test(sessionId) || !UUID.test(participantId)) return [];
      const from = Math.max(0, Math.round(range.fromMs ?? 0));
      const to = Math.min(MAX_T, Math.round(range.toMs ?? MAX_T));
      const list = await rows<RawReading>(sql`
        SELECT ${SELECT_READING} FROM readings
        WHERE session_id = ${sessionId} AND participant_id = ${participantId} AND t_ms >= ${from}::int AND t_ms < ${to}::int
        ORDER BY t_ms`);
      return list.map(toReading);
    },
  };
}
