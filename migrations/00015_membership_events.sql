-- +goose Up
-- Membership changes for the webhooks `channel.member_added` / `channel.member_removed`: a trigger
-- records each one in the same transaction that makes it (every path alike: user routes, direct
-- channels, the server API, a reader joining a public channel), and the consumer relays the rows
-- to the durable event stream in id order, deleting them once the stream holds them (an outbox:
-- no change is lost between PostgreSQL and NATS, whichever of them is down).
CREATE TABLE membership_events (
  id bigserial PRIMARY KEY,
  channel_id text NOT NULL,
  user_id uuid NOT NULL,
  change text NOT NULL CHECK (change IN ('added', 'removed')),
  at timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- +goose StatementBegin
CREATE FUNCTION record_membership_event() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO membership_events (channel_id, user_id, change)
    VALUES (NEW.channel_id, NEW.user_id, 'added');
  ELSE
    INSERT INTO membership_events (channel_id, user_id, change)
    VALUES (OLD.channel_id, OLD.user_id, 'removed');
  END IF;
  RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER channel_members_events AFTER INSERT OR DELETE ON channel_members
FOR EACH ROW EXECUTE FUNCTION record_membership_event();

-- +goose Down
DROP TRIGGER channel_members_events ON channel_members;
DROP FUNCTION record_membership_event();
DROP TABLE membership_events;
