-- +goose Up
-- User-level presence (issue #19 item 7): whether a user holds a socket on any consumer instance,
-- and when their last one closed. Every instance sees each transition; the one whose conditional
-- update flips the row (online differs, observed later than the last flip) owns it: it alone
-- writes last_seen_at and announces the transition, so a transition is written and told once.
CREATE TABLE user_presence (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  online boolean NOT NULL,
  last_seen_at timestamptz,
  changed_at timestamptz NOT NULL
);

-- Per-channel presence as last announced, written only where presence webhooks are on: the same
-- conditional flip makes each transition one webhook event, whichever instances observed it.
CREATE TABLE channel_presence (
  channel_id text NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  online boolean NOT NULL,
  changed_at timestamptz NOT NULL,
  PRIMARY KEY (channel_id, user_id)
);

-- A display name changed: consumers LISTEN on user_profile and tell the open pages that show it
-- (auth writes the row and needs no broker for this).
-- +goose StatementBegin
CREATE FUNCTION notify_user_profile() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('user_profile', NEW.id::text);
  RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER users_profile_notify AFTER UPDATE OF display_name ON users
  FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name)
  EXECUTE FUNCTION notify_user_profile();

-- +goose Down
DROP TRIGGER users_profile_notify ON users;
DROP FUNCTION notify_user_profile();
DROP TABLE channel_presence;
DROP TABLE user_presence;
