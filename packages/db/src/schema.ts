import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  customType,
  index,
  integer,
  jsonb,
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
import { EMOTIONS, UPLOAD_STATUSES } from "@emotion/protocol";

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
    /** The model version that produced the reading (migration 0007); null before versions, or when not recorded. */
    modelVersion: integer("model_version"),
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
    /** The instance analysing it now (migration 0004; an instance id since 0006). */
    worker: text("worker"),
    createdAt: tsz("created_at").notNull().defaultNow(),
    updatedAt: tsz("updated_at").notNull().defaultNow(),
    /** The job (migration 0006): the whole recording is in upload_chunks; only then may it be claimed. */
    receivedAt: tsz("received_at"),
    /** Renewed by the instance receiving or analysing it; once past, that instance is taken as dead. */
    leaseUntil: tsz("lease_until"),
    /** Analyses started (claims). */
    attempts: integer("attempts").notNull().default(0),
    cancelRequestedAt: tsz("cancel_requested_at"),
  },
  (t) => [
    index("uploads_session_idx").on(t.sessionId, t.createdAt),
    index("uploads_queued_idx")
      .on(t.createdAt)
      .where(sql`status = 'queued' AND received_at IS NOT NULL`),
    index("uploads_lease_idx")
      .on(t.leaseUntil)
      .where(sql`status IN ('queued', 'processing')`),
  ],
);

/** bytea as bytes, whichever driver (postgres-js gives a Buffer, PGlite a Uint8Array). */
const uploadBytes = customType<{ data: Buffer; driverData: Uint8Array }>({
  dataType: () => "bytea",
  fromDriver: (v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength),
});

/** A waiting recording in pieces of at most 1 MiB (migration 0006), deleted when its job ends. */
export const uploadChunks = pgTable(
  "upload_chunks",
  {
    uploadId: uuid("upload_id")
      .notNull()
      .references(() => uploads.id, { onDelete: "cascade" }),
    n: integer("n").notNull(),
    data: uploadBytes("data").notNull(),
  },
  (t) => [primaryKey({ columns: [t.uploadId, t.n] })],
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

/** bytea read as it comes (PGlite: Uint8Array, postgres-js: Buffer); models.ts normalises it. */
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => "bytea" });
/** Model versions (migration 0007): shipped ones point at a file under models/, trained ones hold their ONNX bytes. */
export const modelVersions = pgTable(
  "model_versions",
  {
    version: integer("version").primaryKey(),
    source: text("source", { enum: ["shipped", "trained"] }).notNull(),
    file: text("file"),
    card: jsonb("card").notNull(),
    onnx: bytea("onnx"),
    publicTestAccuracy: real("public_test_accuracy"),
    status: text("status", { enum: ["candidate", "active", "retired"] })
      .notNull()
      .default("candidate"),
    createdAt: tsz("created_at").notNull().defaultNow(),
    promotedAt: tsz("promoted_at"),
  },
  (t) => [
    uniqueIndex("model_versions_one_active_idx")
      .on(t.status)
      .where(sql`status = 'active'`),
  ],
);

/** Every change of the active version; a rollback undoes the latest promotion not yet undone. */
export const modelActivations = pgTable(
  "model_activations",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    version: integer("version")
      .notNull()
      .references(() => modelVersions.version),
    previousVersion: integer("previous_version").references(() => modelVersions.version),
    action: text("action", { enum: ["seed", "promote", "rollback"] }).notNull(),
    forced: boolean("forced").notNull().default(false),
    at: tsz("at").notNull().defaultNow(),
    undoneAt: tsz("undone_at"),
  },
  (t) => [
    index("model_activations_open_idx")
      .on(t.id)
      .where(sql`action = 'promote' AND undone_at IS NULL`),
  ],
);

export const corrections = pgTable(
  "corrections",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    participantId: uuid("participant_id")
      .notNull()
      .references(() => participants.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    label: text("label", { enum: EMOTIONS }).notNull(),
    predicted: text("predicted", { enum: EMOTIONS }),
    modelVersion: integer("model_version"),
    createdAt: tsz("created_at").notNull().defaultNow(),
  },
  (t) => [
    index("corrections_session_idx").on(t.sessionId),
    index("corrections_participant_idx").on(t.participantId),
    index("corrections_time_idx").on(t.createdAt),
  ],
);

/** 48x48 grey crops with labels and provenance; a removed one is a tombstone (pixels null, sha256 kept). */
export const trainingSamples = pgTable(
  "training_samples",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    label: text("label", { enum: EMOTIONS }).notNull(),
    pixels: bytea("pixels"),
    sha256: text("sha256").notNull().unique(),
    source: text("source").notNull(),
    origin: text("origin"),
    sessionId: uuid("session_id").references(() => sessions.id, { onDelete: "cascade" }),
    participantId: uuid("participant_id").references(() => participants.id, { onDelete: "cascade" }),
    correctionId: uuid("correction_id").references(() => corrections.id, { onDelete: "cascade" }),
    createdAt: tsz("created_at").notNull().defaultNow(),
    removedAt: tsz("removed_at"),
  },
  (t) => [
    index("training_samples_active_idx")
      .on(t.source, t.createdAt)
      .where(sql`removed_at IS NULL`),
    index("training_samples_session_idx")
      .on(t.sessionId)
      .where(sql`session_id IS NOT NULL`),
    index("training_samples_participant_idx")
      .on(t.participantId)
      .where(sql`participant_id IS NOT NULL`),
  ],
);

/** Per model version and minute, kept by the readings_model_minutes trigger (monitoring reads this, not readings). */
export const modelMinutes = pgTable(
  "model_minutes",
  {
    modelVersion: integer("model_version").notNull(),
    minute: tsz("minute").notNull(),
    readings: bigint("readings", { mode: "number" }).notNull(),
    classified: bigint("classified", { mode: "number" }).notNull(),
    confidencePermille: bigint("confidence_permille", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.minute, t.modelVersion] })],
);

export const schema = {
  sessions,
  participants,
  readings,
  markers,
  uploads,
  uploadChunks,
  readingBuckets,
  modelVersions,
  modelActivations,
  corrections,
  trainingSamples,
  modelMinutes,
};

/** The Drizzle database over this schema, whichever driver (PGlite or postgres-js) runs it. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

/** A UUID in text form: ids from outside are checked against it before they reach a query. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
