-- +goose Up
-- Stores a batch of accepted messages in one round trip; the consumer calls it in autocommit, so
-- the whole batch is one transaction. Each message is stored once per (sender, client_msg_id) and
-- gets the next seq of its channel. Returns every message of the batch that is stored now, newly
-- or by an earlier try (redelivery); a message whose channel does not exist is not returned.
-- +goose StatementBegin
CREATE FUNCTION store_message_batch(batch json)
RETURNS TABLE (
  channel_id text, seq bigint, id uuid, client_msg_id text, sender_id uuid, body text,
  created_at timestamptz
)
LANGUAGE plpgsql AS $$
DECLARE
  inserted bigint;
BEGIN
  -- Lock the batch's channel counters in one fixed order, so concurrent batches on several
  -- instances serialise per channel and never deadlock.
  PERFORM 1 FROM channels c
  WHERE c.id IN (SELECT b.channel_id FROM json_to_recordset(batch) AS b(channel_id text))
  ORDER BY c.id FOR UPDATE;

  -- A new statement after the lock: under READ COMMITTED it sees what the batch we waited for
  -- committed, so the duplicate check is exact and seqs stay gap-free.
  RETURN QUERY
  WITH input AS (
    SELECT * FROM ROWS FROM (json_to_recordset(batch) AS (
      id uuid, channel_id text, client_msg_id text, sender_id uuid, body text,
      created_at timestamptz
    )) WITH ORDINALITY AS t(id, channel_id, client_msg_id, sender_id, body, created_at, ord)
  ), fresh AS (
    SELECT DISTINCT ON (i.sender_id, i.client_msg_id) i.*
    FROM input i
    WHERE NOT EXISTS (
      SELECT 1 FROM messages m
      WHERE m.sender_id = i.sender_id AND m.client_msg_id = i.client_msg_id)
    ORDER BY i.sender_id, i.client_msg_id, i.ord
  ), numbered AS (
    SELECT f.*, row_number() OVER (PARTITION BY f.channel_id ORDER BY f.ord) AS rn FROM fresh f
  ), bumped AS (
    UPDATE channels c SET last_seq = c.last_seq + n.cnt
    FROM (SELECT nb.channel_id, count(*) AS cnt FROM numbered nb GROUP BY nb.channel_id) n
    WHERE c.id = n.channel_id
    RETURNING c.id, c.last_seq - n.cnt AS base
  )
  INSERT INTO messages (channel_id, seq, id, client_msg_id, sender_id, body, created_at)
  SELECT n.channel_id, b.base + n.rn, n.id, n.client_msg_id, n.sender_id, n.body, n.created_at
  FROM numbered n JOIN bumped b ON b.id = n.channel_id
  ORDER BY n.ord
  RETURNING messages.channel_id, messages.seq, messages.id, messages.client_msg_id,
    messages.sender_id, messages.body, messages.created_at;

  -- Some were not inserted: stored by an earlier try (return those rows too, for re-delivery) or
  -- their channel is missing. This returns the batch's stored rows again; the caller dedupes.
  GET DIAGNOSTICS inserted = ROW_COUNT;
  IF inserted = json_array_length(batch) THEN
    RETURN;
  END IF;
  RETURN QUERY
  SELECT m.channel_id, m.seq, m.id, m.client_msg_id, m.sender_id, m.body, m.created_at
  FROM messages m
  WHERE (m.sender_id, m.client_msg_id) IN (
    SELECT k.sender_id, k.client_msg_id
    FROM json_to_recordset(batch) AS k(sender_id uuid, client_msg_id text));
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION store_message_batch(json);
