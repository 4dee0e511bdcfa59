import { sql } from "drizzle-orm";
import {
  bigint,
  index,
  integer,
  type PgDatabase,
  type PgQueryResultHKT,
  pgTable,
  primaryKey,
  real,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { UPLOAD_STATUSES } from "@emotion/protocol";

// Mirrors migrations/*.sql (the SQL files are the source of truth; this gives Drizzle its types).

const tsz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

export const sessions = pgTable("sessions", {
  id: uuid("id").primaryKey().defaultRandom(),
  code: text("code").notNull().unique(),
  title: text("title").notNull(),
  status: text("status", { enum: ["scheduled", "live", "ended"] })
    .notNull()
    .default("scheduled"),
  speakerTokenHash: text("speaker_token_hash").notNull(),
  createdAt: tsz("created_at").notNull().defaultNow(),
  startedAt: tsz("started_at"),
  endedAt: tsz("ended_at"),
});

export const participants = pgTable(
  "participants",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    kind: text("kind", { enum: ["live", "upload"] })
      .notNull()
      .default("live"),
    tokenHash: text("token_hash").notNull(),
    consentAt: tsz("consent_at"),
    joinedAt: tsz("joined_at").notNull().defaultNow(),
    leftAt: tsz("left_at"),
    readingsCount: integer("readings_count").notNull().default(0),
    /** The upload whose analysis found this face (migration 0004); null for live listeners. */
    uploadId: uuid("upload_id"),
  },
  (t) => [
    index("participants_session_idx").on(t.sessionId, t.joinedAt),
    index("participants_upload_idx")
      .on(t.uploadId)
      .where(sql`upload_id IS NOT NULL`),
  ],
);

export const readings = pgTable(
  "readings",
  {
    sessionId: uuid("session_id").notNull(),
    participantId: uuid("participant_id").notNull(),
    capturedAt: tsz("captured_at").notNull(),
    serverAt: tsz("server_at").notNull(),
    tMs: integer("t_ms").notNull(),
    pAngry: smallint("p_angry"),
    pDisgust: smallint("p_disgust"),
    pFear: smallint("p_fear"),
    pHappy: smallint("p_happy"),
    pSad: smallint("p_sad"),
    pSurprise: smallint("p_surprise"),
    pNeutral: smallint("p_neutral"),
    dominant: smallint("dominant"),
    quality: smallint("quality").notNull(),
    /** The listener's crop counter (null for recordings and rows from before migration 0003). */
    seq: integer("seq"),
  },
  (t) => [
    primaryKey({ columns: [t.sessionId, t.participantId, t.tMs] }),
    index("readings_session_t_idx").on(t.sessionId, t.tMs),
    uniqueIndex("readings_seq_idx")
      .on(t.participantId, t.seq, t.capturedAt)
      .where(sql`seq IS NOT NULL`),
  ],
);

export const markers = pgTable(
  "markers",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    tMs: integer("t_ms").notNull(),
    label: text("label").notNull(),
    createdAt: tsz("created_at").notNull().defaultNow(),
  },
  (t) => [index("markers_session_t_idx").on(t.sessionId, t.tMs)],
);

export const uploads = pgTable(
  "uploads",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    status: text("status", { enum: UPLOAD_STATUSES }).notNull().default("queued"),
    progress: real("progress").notNull().default(0),
    faces: integer("faces").notNull().default(0),
    error: text("error"),
    fileName: text("file_name").notNull(),
    bytes: bigint("bytes", { mode: "number" }).notNull(),
    durationS: real("duration_s"),
    /** The server analysing it (migration 0004). */
    worker: text("worker"),
    createdAt: tsz("created_at").notNull().defaultNow(),
    updatedAt: tsz("updated_at").notNull().defaultNow(),
  },
  (t) => [
    index("uploads_session_idx").on(t.sessionId, t.createdAt),
    index("uploads_unfinished_idx")
      .on(t.updatedAt)
      .where(sql`status IN ('queued', 'processing')`),
  ],
);

/**
 * The 5-second rollup per participant (migrations 0002, 0005), maintained by insertReadings: probability sums
 * (s_) and dominant counts (d_) of the classified readings, and the same (v_, vd_) of what the dashboard showed.
 */
export const readingBuckets = pgTable(
  "reading_buckets",
  {
    sessionId: uuid("session_id").notNull(),
    participantId: uuid("participant_id").notNull(),
    bucket: integer("bucket").notNull(),
    readings: integer("readings").notNull(),
    faces: integer("faces").notNull(),
    classified: integer("classified").notNull(),
    sAngry: integer("s_angry").notNull(),
    sDisgust: integer("s_disgust").notNull(),
    sFear: integer("s_fear").notNull(),
    sHappy: integer("s_happy").notNull(),
    sSad: integer("s_sad").notNull(),
    sSurprise: integer("s_surprise").notNull(),
    sNeutral: integer("s_neutral").notNull(),
    dAngry: integer("d_angry").notNull(),
    dDisgust: integer("d_disgust").notNull(),
    dFear: integer("d_fear").notNull(),
    dHappy: integer("d_happy").notNull(),
    dSad: integer("d_sad").notNull(),
    dSurprise: integer("d_surprise").notNull(),
    dNeutral: integer("d_neutral").notNull(),
    vAngry: integer("v_angry").notNull().default(0),
    vDisgust: integer("v_disgust").notNull().default(0),
    vFear: integer("v_fear").notNull().default(0),
    vHappy: integer("v_happy").notNull().default(0),
    vSad: integer("v_sad").notNull().default(0),
    vSurprise: integer("v_surprise").notNull().default(0),
    vNeutral: integer("v_neutral").notNull().default(0),
    vdAngry: integer("vd_angry").notNull().default(0),
    vdDisgust: integer("vd_disgust").notNull().default(0),
    vdFear: integer("vd_fear").notNull().default(0),
    vdHappy: integer("vd_happy").notNull().default(0),
    vdSad: integer("vd_sad").notNull().default(0),
    vdSurprise: integer("vd_surprise").notNull().default(0),
    vdNeutral: integer("vd_neutral").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.participantId, t.bucket] })],
);

export const schema = { sessions, participants, readings, markers, uploads, readingBuckets };

/** The Drizzle database over this schema, whichever driver (PGlite or postgres-js) runs it. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

/** A UUID in text form: ids from outside are checked against it before they reach a query. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
