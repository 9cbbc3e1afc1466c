-- +goose Up
-- Creating a channel is capped per user and hour (issue #14: one user made 300 channel rows in a
-- few seconds). Both ways a channel comes to be go through this one function: creating it
-- explicitly (consumer API) and using a new public id (subscribe, publish). The per-user advisory
-- lock makes "count, then insert" atomic, so concurrent requests cannot overshoot the cap.
-- Returns 'created', 'exists' or 'quota'.
CREATE INDEX channels_created_by_idx ON channels (created_by, created_at);
-- +goose StatementBegin
CREATE FUNCTION create_channel(p_id text, p_kind text, p_user uuid, p_max_per_hour int)
RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM channels WHERE id = p_id) THEN
    RETURN 'exists';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('create_channel:' || p_user::text, 0));
  -- A new statement after the lock: it sees what the request we waited for committed.
  IF (SELECT count(*) FROM channels
      WHERE created_by = p_user AND created_at > clock_timestamp() - interval '1 hour')
     >= p_max_per_hour THEN
    RETURN 'quota';
  END IF;
  INSERT INTO channels (id, kind, created_by) VALUES (p_id, p_kind, p_user)
  ON CONFLICT (id) DO NOTHING;
  IF NOT FOUND THEN
    RETURN 'exists';
  END IF;
  RETURN 'created';
END $$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION create_channel(text, text, uuid, int);
DROP INDEX channels_created_by_idx;
