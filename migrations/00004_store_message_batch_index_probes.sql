-- +goose Up
-- store_message_batch (00003) made to touch only its batch's rows, by index, whatever plan PL/pgSQL
-- has cached. 00003 let the planner choose, and a backend that cached its generic plan while
-- `messages` was small kept hashing the whole table on every call as the table grew (100k rows:
-- ~20 ms per 10-row batch instead of ~1 ms, until an autovacuum ANALYZE invalidated the plan).
-- Now every look-up into messages, and the channel locks, is a LATERAL subquery per batch row (one
-- that locks or has a LIMIT is never flattened into a hash join), and seq scans are off inside the
-- function: a plan cached on a tiny, freshly vacuumed table would otherwise scan it once per row.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION store_message_batch(batch json)
RETURNS TABLE (
  channel_id text, seq bigint, id uuid, client_msg_id text, sender_id uuid, body text,
  created_at timestamptz
)
LANGUAGE plpgsql
SET enable_seqscan = off
AS $$
DECLARE
  inserted bigint;
BEGIN
  -- Lock the batch's channel counters in one fixed order, so concurrent batches on several
  -- instances serialise per channel and never deadlock.
  -- (The DISTINCT subquery is not flattened: its sorted rows drive the locks in that order.)
  PERFORM 1
  FROM (
    SELECT DISTINCT b.channel_id FROM json_to_recordset(batch) AS b(channel_id text) ORDER BY 1
  ) k
  CROSS JOIN LATERAL (SELECT 1 FROM channels c WHERE c.id = k.channel_id FOR UPDATE) l;

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
    LEFT JOIN LATERAL (
      SELECT true AS stored FROM messages m
      WHERE m.sender_id = i.sender_id AND m.client_msg_id = i.client_msg_id LIMIT 1) s ON true
    WHERE s.stored IS NULL
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
  FROM json_to_recordset(batch) AS k(sender_id uuid, client_msg_id text)
  CROSS JOIN LATERAL (
    SELECT * FROM messages m
    WHERE m.sender_id = k.sender_id AND m.client_msg_id = k.client_msg_id LIMIT 1) m;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- Nothing to undo: this body returns exactly what 00003's does, so going back to version 3 keeps it
-- (00003's Down then drops the function; its old body is in 00003 for anyone who wants it back).
