import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import { createReadingsRepository, type ReadingsRepository } from "./readings";
import { createUploadsRepository, type UploadsRepository } from "./uploads";
import { createModelsRepository, type ModelsRepository } from "./models";
import { createFeedbackRepository, type FeedbackRepository } from "./feedback";
import { createSamplesRepository, type SamplesRepository } from "./samples";
import { createMonitoringRepository, type MonitoringRepository } from "./model-monitoring";
import { markers, participants, sessions, UUID, type Database } from "./schema";

// Dates inside raw sql`` go as ISO strings: drizzle's postgres-js driver cannot serialise a Date there.

export type RawRows = <T>(q: SQL) => Promise<T[]>;

export type SessionRow = typeof sessions.$inferSelect;
export type ParticipantRow = typeof participants.$inferSelect;
export type MarkerRow = typeof markers.$inferSelect;

export interface SessionDetailRows {
  session: SessionRow;
  /** Participants in join order, each with `readingsCount`. */
  participants: ParticipantRow[];
  /** Markers in time order. */
  markers: MarkerRow[];
}

export interface JoinParticipantInput {
  sessionId: string;
  /** Absent or blank: "Listener N", N = this participant's place in the session. */
  name?: string | null;
  kind?: "live" | "upload";
  tokenHash: string;
  consentAt?: Date | null;
}

export interface Repository extends ReadingsRepository, UploadsRepository, ModelsRepository, FeedbackRepository, SamplesRepository, MonitoringRepository {
  /** Creates a scheduled session; null when `code` is taken (pick another and retry). */
  createSession(input: { code: string; title: string; speakerTokenHash: string }): Promise<SessionRow | null>;
  getSession(id: string): Promise<SessionRow | null>;
  getSessionByCode(code: string): Promise<SessionRow | null>;
  /** The session with its participants (and their reading counts) and markers. */
  getSessionDetail(id: string): Promise<SessionDetailRows | null>;
  /** scheduled -> live (sets started_at once). Returns the session as it is now; null if unknown. */
  startSession(id: string, at?: Date): Promise<SessionRow | null>;
  /** -> ended (sets ended_at once; also started_at if it never went live). */
  endSession(id: string, at?: Date): Promise<SessionRow | null>;
  addMarker(input: { sessionId: string; tMs: number; label: string }): Promise<MarkerRow>;
  listMarkers(sessionId: string): Promise<MarkerRow[]>;
  joinParticipant(input: JoinParticipantInput): Promise<ParticipantRow>;
  getParticipant(id: string): Promise<ParticipantRow | null>;
  listParticipants(sessionId: string): Promise<ParticipantRow[]>;
  /** Clears left_at (a reconnect). */
  resumeParticipant(id: string): Promise<ParticipantRow | null>;
  leaveParticipant(id: string, at?: Date): Promise<ParticipantRow | null>;
}

/** Ids come from URLs and sockets; a malformed one is simply "not found", not a database error. */
export const isUuid = (id: string) => UUID.test(id);

export function createRepository(db: Database, rows: RawRows, options: { modelsDir?: string } = {}): Repository {
  const one = <T>(list: T[]): T | null => list[0] ?? null;

  async function getSession(id: string) {
    if (!isUuid(id)) return null;
    return one(await db.select().from(sessions).where(eq(sessions.id, id)));
  }

  return {
    ...createReadingsRepository(db, rows),
    ...createUploadsRepository(db),
    ...createModelsRepository(db, options),
    ...createFeedbackRepository(db),
    ...createSamplesRepository(db),
    ...createMonitoringRepository(db),

    async createSession(input) {
      return one(await db.insert(sessions).values(input).onConflictDoNothing({ target: sessions.code }).returning());
    },

    getSession,

    async getSessionByCode(code) {
      return one(await db.select().from(sessions).where(eq(sessions.code, code)));
    },

    async getSessionDetail(id) {
      const session = await getSession(id);
      if (!session) return null;
      const [list, marks] = await Promise.all([
        db.select().from(participants).where(eq(participants.sessionId, id)).orderBy(asc(participants.joinedAt)),
        db.select().from(markers).where(eq(markers.sessionId, id)).orderBy(asc(markers.tMs)),
      ]);
      return { session, participants: list, markers: marks };
    },

    async startSession(id, at = new Date()) {
      if (!isUuid(id)) return null;
      await db
        .update(sessions)
        .set({ status: "live", startedAt: sql`coalesce(${sessions.startedAt}, ${at.toISOString()}::timestamptz)` })
        .where(and(eq(sessions.id, id), eq(sessions.status, "scheduled")));
      return getSession(id);
    },

    async endSession(id, at = new Date()) {
      if (!isUuid(id)) return null;
      await db
        .update(sessions)
        .set({ status: "ended", endedAt: at, startedAt: sql`coalesce(${sessions.startedAt}, ${at.toISOString()}::timestamptz)` })
        .where(and(eq(sessions.id, id), sql`${sessions.status} <> 'ended'`));
      return getSession(id);
    },

    async addMarker(input) {
      const [row] = await db.insert(markers).values(input).returning();
      return row!;
    },

    async listMarkers(sessionId) {
      if (!isUuid(sessionId)) return [];
      return db.select().from(markers).where(eq(markers.sessionId, sessionId)).orderBy(asc(markers.tMs));
    },

    async joinParticipant(input) {
      const name = input.name?.trim() || null;
      // One statement, so the default name's number comes from the same snapshot as the insert.
      const [row] = await rows<{ id: string }>(sql`
        INSERT INTO participants (session_id, name, kind, token_hash, consent_at)
        SELECT ${input.sessionId}, coalesce(${name}::text, 'Listener ' || (count(*) + 1)), ${input.kind ?? "live"},
               ${input.tokenHash}, ${input.consentAt?.toISOString() ?? null}::timestamptz
        FROM participants WHERE session_id = ${input.sessionId}
        RETURNING id`);
      return (await this.getParticipant(row!.id))!;
    },

    async getParticipant(id) {
      if (!isUuid(id)) return null;
      return one(await db.select().from(participants).where(eq(participants.id, id)));
    },

    async listParticipants(sessionId) {
      if (!isUuid(sessionId)) return [];
      return db.select().from(participants).where(eq(participants.sessionId, sessionId)).orderBy(asc(participants.joinedAt));
    },

    async resumeParticipant(id) {
      if (!isUuid(id)) return null;
      return one(await db.update(participants).set({ leftAt: null }).where(eq(participants.id, id)).returning());
    },

    async leaveParticipant(id, at = new Date()) {
      if (!isUuid(id)) return null;
      return one(await db.update(participants).set({ leftAt: at }).where(eq(participants.id, id)).returning());
    },
  };
}
