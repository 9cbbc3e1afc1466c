-- The sequencing algorithm: where a message gets its per-channel seq. This file is its canonical
-- source; migrations are frozen history, so a change here ships as a new migration holding this
-- text (CREATE OR REPLACE), and consumer/test/store_message_batch_sql.test.ts fails until the
-- migrated database runs exactly this function. Last shipped in 00005_partitioned_persistence.
--
-- Index probes per batch row (whatever plan is cached), deduplicated per (sender, channel,
-- client_msg_id), and a batch naming a channel that does not exist fails whole with
-- foreign_key_violation: the caller then stores its messages one by one and dead-letters the one
-- that cannot be stored, so its partition's order is kept for the rest.
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
  missing text;
BEGIN
  -- Lock the batch's channel counters in one fixed order, so concurrent batches serialise per
  -- channel and never deadlock. (The DISTINCT subquery is not flattened: its sorted rows drive
  -- the locks in that order.)
  SELECT k.channel_id INTO missing
  FROM (
    SELECT DISTINCT b.channel_id FROM json_to_recordset(batch) AS b(channel_id text) ORDER BY 1
  ) k
  LEFT JOIN LATERAL (SELECT true AS found FROM channels c WHERE c.id = k.channel_id FOR UPDATE) l
    ON true
  WHERE l.found IS NULL
  LIMIT 1;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'channel % does not exist', missing USING ERRCODE = 'foreign_key_violation';
  END IF;

  -- A new statement after the lock: under READ COMMITTED it sees what the batch we waited for
  -- committed, so the duplicate check is exact and seqs stay gap-free.
  RETURN QUERY
  WITH input AS (
    SELECT * FROM ROWS FROM (json_to_recordset(batch) AS (
      id uuid, channel_id text, client_msg_id text, sender_id uuid, body text,
      created_at timestamptz
    )) WITH ORDINALITY AS t(id, channel_id, client_msg_id, sender_id, body, created_at, ord)
  ), fresh AS (
    SELECT DISTINCT ON (i.sender_id, i.channel_id, i.client_msg_id) i.*
    FROM input i
    LEFT JOIN LATERAL (
      SELECT true AS stored FROM messages m
      WHERE m.sender_id = i.sender_id AND m.channel_id = i.channel_id
        AND m.client_msg_id = i.client_msg_id
      LIMIT 1) s ON true
    WHERE s.stored IS NULL
    ORDER BY i.sender_id, i.channel_id, i.client_msg_id, i.ord
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

  -- Some were stored by an earlier try (a re-read after a crash): return those rows too, for
  -- re-delivery. This returns the batch's stored rows again; the caller dedupes.
  GET DIAGNOSTICS inserted = ROW_COUNT;
  IF inserted = json_array_length(batch) THEN
    RETURN;
  END IF;
  RETURN QUERY
  SELECT m.channel_id, m.seq, m.id, m.client_msg_id, m.sender_id, m.body, m.created_at
  FROM json_to_recordset(batch) AS k(sender_id uuid, channel_id text, client_msg_id text)
  CROSS JOIN LATERAL (
    SELECT * FROM messages m
    WHERE m.sender_id = k.sender_id AND m.channel_id = k.channel_id
      AND m.client_msg_id = k.client_msg_id
    LIMIT 1) m;
END
$$;
