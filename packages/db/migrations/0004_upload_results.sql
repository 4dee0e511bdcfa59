-- An upload's readings are stored as its analysis goes (in short batches, not one long transaction at
-- the end), under participants linked to the upload: a failed, cancelled or interrupted upload is
-- removed whole through this link (participants, readings, reading_buckets).
ALTER TABLE participants ADD COLUMN upload_id uuid REFERENCES uploads (id) ON DELETE SET NULL;
CREATE INDEX participants_upload_idx ON participants (upload_id) WHERE upload_id IS NOT NULL;

-- The server (one per DATA_DIR) that holds the recording and analyses it. It refreshes updated_at of
-- its unfinished uploads while it runs; at start it sweeps its own unfinished uploads and any whose
-- server stopped refreshing them.
ALTER TABLE uploads ADD COLUMN worker text;
CREATE INDEX uploads_unfinished_idx ON uploads (updated_at) WHERE status IN ('queued', 'processing');
