-- Uploads are durable jobs that every server instance shares: the uploads row is the job, and the
-- recording waits in upload_chunks (not on one machine's disk), so any instance can analyse it.
--   received_at          set once the whole recording is stored; only then may a job claim it
--   lease_until          while a transfer or an analysis runs: its instance renews it; once past, the
--                        instance is taken as dead and any instance requeues (or fails) the upload
--   attempts             analyses started (claims); at the limit, an expired lease fails the upload
--   cancel_requested_at  a cancel asked on any instance; the one analysing it stops at its next renewal
ALTER TABLE uploads ADD COLUMN received_at timestamptz;
ALTER TABLE uploads ADD COLUMN lease_until timestamptz;
ALTER TABLE uploads ADD COLUMN attempts integer NOT NULL DEFAULT 0;
ALTER TABLE uploads ADD COLUMN cancel_requested_at timestamptz;

-- The recording in pieces of at most 1 MiB, in order of n; deleted as soon as its job ends (done,
-- failed or cancelled): a recording is never kept after its analysis. Video is already compressed:
-- EXTERNAL storage skips TOAST's compression attempt.
CREATE TABLE upload_chunks (
  upload_id uuid NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
  n integer NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (upload_id, n)
);
ALTER TABLE upload_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

-- The claim: the oldest received, queued upload.
CREATE INDEX uploads_queued_idx ON uploads (created_at) WHERE status = 'queued' AND received_at IS NOT NULL;
-- The reaper: unfinished uploads whose lease has run out.
CREATE INDEX uploads_lease_idx ON uploads (lease_until) WHERE status IN ('queued', 'processing');
-- The per-folder sweep this index served is gone (leases replace it).
DROP INDEX uploads_unfinished_idx;

-- Unfinished uploads of the previous scheme have their recording on some server's disk, which no
-- instance reads any more: an expired transfer lease makes the reaper fail them "interrupted" and
-- remove what they stored.
UPDATE uploads SET status = 'queued', lease_until = now() WHERE status IN ('queued', 'processing');
