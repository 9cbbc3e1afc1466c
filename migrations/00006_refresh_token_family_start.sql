-- +goose Up
-- A login's refresh tokens share an absolute lifetime counted from the login. Every row of a
-- family carries that start, so rotating cannot move it and purging old rows cannot lose it.
ALTER TABLE refresh_tokens ADD COLUMN family_started_at timestamptz;
UPDATE refresh_tokens t SET family_started_at = f.started
FROM (SELECT family_id, min(created_at) AS started FROM refresh_tokens GROUP BY family_id) f
WHERE t.family_id = f.family_id;
ALTER TABLE refresh_tokens
  ALTER COLUMN family_started_at SET NOT NULL,
  ALTER COLUMN family_started_at SET DEFAULT now();

-- +goose Down
ALTER TABLE refresh_tokens DROP COLUMN family_started_at;
