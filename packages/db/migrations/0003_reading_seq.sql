-- A reading's identity as the listener knows it: (participant, seq, captured_at). A listener re-sends
-- every crop it has not seen acked (after a reconnect, a server restart, a database outage), so the
-- same crop can arrive twice; this index makes the second copy a no-op (insertReadings uses
-- ON CONFLICT DO NOTHING, and the rollup and readings_count only count rows really inserted).
-- captured_at is part of the key because a listener that reloads its page starts counting seq again.
-- Rows written before this migration, and recordings' rows, have no seq and are never deduplicated.
ALTER TABLE readings ADD COLUMN seq integer;
CREATE UNIQUE INDEX readings_seq_idx ON readings (participant_id, seq, captured_at) WHERE seq IS NOT NULL;
