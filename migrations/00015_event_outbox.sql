-- +goose Up
-- The outbox of the events application backends hear of by webhook, other than messages:
-- membership (`channel.member_added`/`removed`) and presence (`presence.joined`/`left` per
-- channel, `user.online`/`offline` per user). Triggers record each one in the same transaction
-- that makes it (every path alike: user routes, direct channels, the server API, a reader joining
-- a public channel, the conditional update that flips a presence row of 00014), and the consumer
-- relays the rows to the durable event stream in id order, deleting them once the stream holds
-- them: no event is lost between PostgreSQL and NATS, whichever of them is down.
CREATE TABLE event_outbox (
  id bigserial PRIMARY KEY,
  type text NOT NULL CHECK (type IN ('channel.member_added', 'channel.member_removed',
    'presence.joined', 'presence.left', 'user.online', 'user.offline')),
  -- Null for a user's own events (online/offline), which are ordered by the user instead.
  channel_id text,
  user_id uuid NOT NULL,
  at timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- +goose StatementBegin
CREATE FUNCTION record_membership_event() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO event_outbox (type, channel_id, user_id)
    VALUES ('channel.member_added', NEW.channel_id, NEW.user_id);
  ELSE
    INSERT INTO event_outbox (type, channel_id, user_id)
    VALUES ('channel.member_removed', OLD.channel_id, OLD.user_id);
  END IF;
  RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER channel_members_events AFTER INSERT OR DELETE ON channel_members
FOR EACH ROW EXECUTE FUNCTION record_membership_event();

-- A presence row flipped (inserted, or `online` changed): one event at the observed instant. Only
-- the instance whose conditional update flips the row gets here, so each transition is one event.
-- +goose StatementBegin
CREATE FUNCTION record_presence_event() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.online = NEW.online THEN
    RETURN NULL;
  END IF;
  IF TG_TABLE_NAME = 'user_presence' THEN
    INSERT INTO event_outbox (type, user_id, at)
    VALUES (CASE WHEN NEW.online THEN 'user.online' ELSE 'user.offline' END, NEW.user_id,
      NEW.changed_at);
  ELSE
    INSERT INTO event_outbox (type, channel_id, user_id, at)
    VALUES (CASE WHEN NEW.online THEN 'presence.joined' ELSE 'presence.left' END, NEW.channel_id,
      NEW.user_id, NEW.changed_at);
  END IF;
  RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER user_presence_events AFTER INSERT OR UPDATE OF online ON user_presence
FOR EACH ROW EXECUTE FUNCTION record_presence_event();
CREATE TRIGGER channel_presence_events AFTER INSERT OR UPDATE OF online ON channel_presence
FOR EACH ROW EXECUTE FUNCTION record_presence_event();

-- +goose Down
DROP TRIGGER channel_presence_events ON channel_presence;
DROP TRIGGER user_presence_events ON user_presence;
DROP FUNCTION record_presence_event();
DROP TRIGGER channel_members_events ON channel_members;
DROP FUNCTION record_membership_event();
DROP TABLE event_outbox;
