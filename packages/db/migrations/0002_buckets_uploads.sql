-- Per-listener rollup of readings in 5-second buckets, maintained by insertReadings in the same
-- statement as the readings. Reports read this (a 1-hour, 300-listener session is ~216k rows instead
-- of ~4M readings). Sums are of permille probabilities over classified readings.
CREATE TABLE reading_buckets (
  session_id uuid NOT NULL,
  participant_id uuid NOT NULL,
  bucket integer NOT NULL,
  readings integer NOT NULL,
  faces integer NOT NULL,
  classified integer NOT NULL,
  s_angry integer NOT NULL, s_disgust integer NOT NULL, s_fear integer NOT NULL, s_happy integer NOT NULL,
  s_sad integer NOT NULL, s_surprise integer NOT NULL, s_neutral integer NOT NULL,
  d_angry integer NOT NULL, d_disgust integer NOT NULL, d_fear integer NOT NULL, d_happy integer NOT NULL,
  d_sad integer NOT NULL, d_surprise integer NOT NULL, d_neutral integer NOT NULL,
  PRIMARY KEY (session_id, participant_id, bucket)
);

-- Rollups for readings stored before this migration.
INSERT INTO reading_buckets
SELECT session_id, participant_id, t_ms / 5000, count(*), count(*) FILTER (WHERE quality <> 4), count(*) FILTER (WHERE quality = 0),
  coalesce(sum(p_angry), 0), coalesce(sum(p_disgust), 0), coalesce(sum(p_fear), 0), coalesce(sum(p_happy), 0),
  coalesce(sum(p_sad), 0), coalesce(sum(p_surprise), 0), coalesce(sum(p_neutral), 0),
  count(*) FILTER (WHERE quality = 0 AND dominant = 0), count(*) FILTER (WHERE quality = 0 AND dominant = 1),
  count(*) FILTER (WHERE quality = 0 AND dominant = 2), count(*) FILTER (WHERE quality = 0 AND dominant = 3),
  count(*) FILTER (WHERE quality = 0 AND dominant = 4), count(*) FILTER (WHERE quality = 0 AND dominant = 5),
  count(*) FILTER (WHERE quality = 0 AND dominant = 6)
FROM readings GROUP BY 1, 2, 3;

-- Uploaded recordings being analysed; the readings appear only when an upload is done (one transaction).
CREATE TABLE uploads (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'processing', 'done', 'failed', 'cancelled')),
  progress real NOT NULL DEFAULT 0,
  faces integer NOT NULL DEFAULT 0,
  error text,
  file_name text NOT NULL,
  bytes bigint NOT NULL,
  duration_s real,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX uploads_session_idx ON uploads (session_id, created_at);
