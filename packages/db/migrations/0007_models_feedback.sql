-- The model's life cycle (issue 14): versions, listeners' corrections, training samples, and per-version monitoring.

-- Every model version the platform knows. Shipped versions (models/registry.json) keep their ONNX in a file
-- (onnx NULL, file = its name under models/); trained ones keep the bytes here, so every instance can load them.
CREATE TABLE model_versions (
  version integer PRIMARY KEY CHECK (version >= 1),
  source text NOT NULL CHECK (source IN ('shipped', 'trained')),
  file text,
  card jsonb NOT NULL,
  onnx bytea,
  public_test_accuracy real CHECK (public_test_accuracy BETWEEN 0 AND 1),
  status text NOT NULL DEFAULT 'candidate' CHECK (status IN ('candidate', 'active', 'retired')),
  created_at timestamptz NOT NULL DEFAULT now(),
  promoted_at timestamptz,
  CHECK ((source = 'shipped' AND file IS NOT NULL) OR (source = 'trained' AND onnx IS NOT NULL))
);
-- At most one active version, whatever two admins or instances do at once.
CREATE UNIQUE INDEX model_versions_one_active_idx ON model_versions (status) WHERE status = 'active';

-- Every change of the active version, in order. A rollback undoes the latest promotion not yet undone
-- (undone_at), so two rollbacks after two promotions go back two steps, one at a time.
CREATE TABLE model_activations (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  version integer NOT NULL REFERENCES model_versions (version),
  previous_version integer REFERENCES model_versions (version),
  action text NOT NULL CHECK (action IN ('seed', 'promote', 'rollback')),
  forced boolean NOT NULL DEFAULT false,
  at timestamptz NOT NULL DEFAULT now(),
  undone_at timestamptz
);
CREATE INDEX model_activations_open_idx ON model_activations (id) WHERE action = 'promote' AND undone_at IS NULL;

-- A listener's "not right?": what they say they felt, next to what the model read for that crop.
CREATE TABLE corrections (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  participant_id uuid NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
  seq integer NOT NULL,
  label text NOT NULL CHECK (label IN ('angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral')),
  predicted text CHECK (predicted IN ('angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral')),
  model_version integer,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX corrections_session_idx ON corrections (session_id);
CREATE INDEX corrections_participant_idx ON corrections (participant_id);
-- Monitoring reads corrections over a time range, every version at once.
CREATE INDEX corrections_time_idx ON corrections (created_at);

-- 48x48 grey crops with a label, from listeners (source 'feedback', with consent) or imported sources.
-- A removed sample keeps its row as a tombstone: pixels NULL (the bytes are gone), removed_at set, and its
-- sha256 still unique, so importing the same image again skips it: a removed sample is never used again.
-- A withdrawn listener's samples (and a deleted session's) are deleted outright, tombstone included.
CREATE TABLE training_samples (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  label text NOT NULL CHECK (label IN ('angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral')),
  pixels bytea CHECK (octet_length(pixels) = 2304),
  sha256 text NOT NULL UNIQUE,
  source text NOT NULL CHECK (source ~ '^[A-Za-z0-9._-]{1,64}$'),
  -- Where an imported sample came from (file path inside the folder, or CSV row); null for feedback.
  origin text,
  session_id uuid REFERENCES sessions (id) ON DELETE CASCADE,
  participant_id uuid REFERENCES participants (id) ON DELETE CASCADE,
  correction_id uuid REFERENCES corrections (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  removed_at timestamptz,
  CHECK ((removed_at IS NULL) = (pixels IS NOT NULL))
);
CREATE INDEX training_samples_active_idx ON training_samples (source, created_at) WHERE removed_at IS NULL;
CREATE INDEX training_samples_session_idx ON training_samples (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX training_samples_participant_idx ON training_samples (participant_id) WHERE participant_id IS NOT NULL;

-- The version that produced each reading (null: before versions existed, or not recorded).
ALTER TABLE readings ADD COLUMN model_version integer;

-- Monitoring without scanning readings: per version and minute, counts and the sum of the top
-- probability, kept by a statement trigger over the rows each insert really stored (the writer inserts
-- one multi-row statement per flush, so this is one small aggregate per flush, and ON CONFLICT DO NOTHING
-- skips are not in the transition table). Sums are bigint so no overflow can ever refuse a reading.
CREATE TABLE model_minutes (
  model_version integer NOT NULL,
  minute timestamptz NOT NULL,
  readings bigint NOT NULL,
  classified bigint NOT NULL,
  confidence_permille bigint NOT NULL,
  -- Time first: monitoring reads a range of minutes for every version at once.
  PRIMARY KEY (minute, model_version)
);

CREATE FUNCTION count_model_minutes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO model_minutes AS m (model_version, minute, readings, classified, confidence_permille)
  SELECT model_version, date_trunc('minute', server_at), count(*), count(*) FILTER (WHERE quality = 0),
         coalesce(sum(greatest(p_angry, p_disgust, p_fear, p_happy, p_sad, p_surprise, p_neutral)) FILTER (WHERE quality = 0), 0)
  FROM new_rows WHERE model_version IS NOT NULL
  GROUP BY 1, 2
  ORDER BY 2, 1 -- one lock order, so two instances' flushes cannot deadlock on the same minutes
  ON CONFLICT (minute, model_version) DO UPDATE SET
    readings = m.readings + excluded.readings,
    classified = m.classified + excluded.classified,
    confidence_permille = m.confidence_permille + excluded.confidence_permille;
  RETURN NULL;
END $$;

CREATE TRIGGER readings_model_minutes AFTER INSERT ON readings
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_model_minutes();
