-- Sessions, participants, readings and markers.
-- Readings are the big table (hundreds of listeners x 4/s x hours = millions of rows), so its rows are
-- kept narrow: no per-row id, probabilities as smallint permille (0..1000, 2 bytes instead of 4 for a
-- real; 0.001 resolution is far below the model's error), dominant and quality as smallint codes.

CREATE TABLE sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code text NOT NULL UNIQUE,
  title text NOT NULL,
  status text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'live', 'ended')),
  speaker_token_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  ended_at timestamptz
);

CREATE TABLE participants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  name text NOT NULL,
  kind text NOT NULL DEFAULT 'live' CHECK (kind IN ('live', 'upload')),
  token_hash text NOT NULL,
  consent_at timestamptz,
  joined_at timestamptz NOT NULL DEFAULT now(),
  left_at timestamptz,
  -- Maintained by insertReadings in the same statement, so a session's detail never counts millions of rows.
  readings_count integer NOT NULL DEFAULT 0
);
CREATE INDEX participants_session_idx ON participants (session_id, joined_at);

-- No foreign keys on readings: a per-row FK check costs an index probe on every insert; the writer only
-- inserts rows for participants it has created.
-- Column order puts the fixed-width 8-byte columns first to avoid alignment padding.
CREATE TABLE readings (
  session_id uuid NOT NULL,
  participant_id uuid NOT NULL,
  captured_at timestamptz NOT NULL,
  server_at timestamptz NOT NULL,
  t_ms integer NOT NULL,
  p_angry smallint,
  p_disgust smallint,
  p_fear smallint,
  p_happy smallint,
  p_sad smallint,
  p_surprise smallint,
  p_neutral smallint,
  -- index into EMOTIONS (0 angry .. 6 neutral); null when there is no reading
  dominant smallint,
  -- 0 ok, 1 too_small, 2 too_blurred, 3 turned_away, 4 no_face
  quality smallint NOT NULL,
  PRIMARY KEY (session_id, participant_id, t_ms)
);
-- Room timeline: range scans of one session by time.
CREATE INDEX readings_session_t_idx ON readings (session_id, t_ms);

CREATE TABLE markers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  t_ms integer NOT NULL,
  label text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX markers_session_t_idx ON markers (session_id, t_ms);
