-- What the live dashboard showed for each reading: the listener's temporal filter smooths the single
-- readings (tiles, room mood, self view), and the report should tell the same story. The readings table
-- keeps every crop's own probabilities (the raw record); the rollup gains the sums (v_) and dominant
-- counts (vd_) of what was shown, over the same classified readings. Rows from before the filter (and
-- recordings, which are not filtered) show what was classified, so they start as copies.
ALTER TABLE reading_buckets
  ADD COLUMN v_angry integer NOT NULL DEFAULT 0, ADD COLUMN v_disgust integer NOT NULL DEFAULT 0,
  ADD COLUMN v_fear integer NOT NULL DEFAULT 0, ADD COLUMN v_happy integer NOT NULL DEFAULT 0,
  ADD COLUMN v_sad integer NOT NULL DEFAULT 0, ADD COLUMN v_surprise integer NOT NULL DEFAULT 0,
  ADD COLUMN v_neutral integer NOT NULL DEFAULT 0,
  ADD COLUMN vd_angry integer NOT NULL DEFAULT 0, ADD COLUMN vd_disgust integer NOT NULL DEFAULT 0,
  ADD COLUMN vd_fear integer NOT NULL DEFAULT 0, ADD COLUMN vd_happy integer NOT NULL DEFAULT 0,
  ADD COLUMN vd_sad integer NOT NULL DEFAULT 0, ADD COLUMN vd_surprise integer NOT NULL DEFAULT 0,
  ADD COLUMN vd_neutral integer NOT NULL DEFAULT 0;
UPDATE reading_buckets SET
  v_angry = s_angry, v_disgust = s_disgust, v_fear = s_fear, v_happy = s_happy, v_sad = s_sad, v_surprise = s_surprise, v_neutral = s_neutral,
  vd_angry = d_angry, vd_disgust = d_disgust, vd_fear = d_fear, vd_happy = d_happy, vd_sad = d_sad, vd_surprise = d_surprise, vd_neutral = d_neutral;
