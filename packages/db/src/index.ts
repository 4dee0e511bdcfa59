export { createDb } from "./client";
export type { CreateDbOptions, Db, Database } from "./client";
export type { Repository, SessionRow, ParticipantRow, MarkerRow, SessionDetailRows, JoinParticipantInput } from "./repository";
export { isUuid } from "./repository";
export type { ReadingInput, StoredReading, RoomBucket, TimeRange, ReadingsRepository } from "./readings";
export { QUALITY_CODES, encodeQuality, decodeQuality, toPermille, fromPermille } from "./codec";
export { MIGRATIONS_DIR, readMigrations, applyMigrations } from "./migrate";
export { sessions, participants, readings, markers, schema } from "./schema";
