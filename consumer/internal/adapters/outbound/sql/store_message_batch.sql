-- The sequencing algorithm: where a message gets its per-channel seq. This file is its canonical
-- source; migrations are frozen history, so a change here ships as a new migration holding this
-- text (CREATE OR REPLACE), and consumer/test/store_message_batch_sql.test.ts fails until the
-- migrated database runs exactly this function. Last shipped in 00012_message_events.
--
-- Index probes per batch row (whatever plan is cached), deduplicated per (sender, channel,
-- client_msg_id), and a batch naming a channel that does not exist fails whole with
-- foreign_key_violation: the caller then stores its messages one by one and dead-letters the one
-- that cannot be stored, so its partition's order is kept for the rest.
--
-- Edits, deletes and reactions (kind <> 'message') are rows of the same sequence; once stored,
-- each is applied to its target in seq order. Applying is idempotent and ignores what is older
-- than the state it would change (edited_seq, a reaction's event_seq), so a batch stored again
-- after a crash, or an event re-stored past the duplicate window, changes nothing. Rows come back
-- as stored once the batch's events are applied, so delivery shows what history and replays do.
--
-- Each row also carries the channel's count of ordinary messages up to it (message_count, like
-- channels.message_count), so unread counts skip events in one index probe (messages_through).
CREATE OR REPLACE FUNCTION store_message_batch(batch json)
RETURNS TABLE (
  channel_id text, seq bigint, id uuid, client_msg_id text, sender_id uuid, body text,
  created_at timestamptz, kind text, target_seq bigint
)
LANGUAGE plpgsql
SET enable_seqscan = off
AS $$
DECLARE
  returned bigint;
  edits bigint;
  missing text;
  ev record;
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
      created_at timestamptz, kind text, target_seq bigint
    )) WITH ORDINALITY AS t(id, channel_id, client_msg_id, sender_id, body, created_at, kind,
      target_seq, ord)
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
    SELECT f.*, row_number() OVER w AS rn,
      count(*) FILTER (WHERE f.kind IS NULL OR f.kind = 'message') OVER w AS mn
    FROM fresh f
    WINDOW w AS (PARTITION BY f.channel_id ORDER BY f.ord)
  ), bumped AS (
    UPDATE channels c SET last_seq = c.last_seq + n.cnt, message_count = c.message_count + n.msgs
    FROM (
      SELECT nb.channel_id, count(*) AS cnt,
        count(*) FILTER (WHERE nb.kind IS NULL OR nb.kind = 'message') AS msgs
      FROM numbered nb GROUP BY nb.channel_id) n
    WHERE c.id = n.channel_id
    RETURNING c.id, c.last_seq - n.cnt AS base, c.message_count - n.msgs AS base_count
  ), stored AS (
    INSERT INTO messages (
      channel_id, seq, id, client_msg_id, sender_id, body, created_at, kind, target_seq,
      message_count
    )
    SELECT n.channel_id, b.base + n.rn, n.id, n.client_msg_id, n.sender_id, n.body, n.created_at,
      coalesce(n.kind, 'message'), n.target_seq, b.base_count + n.mn
    FROM numbered n JOIN bumped b ON b.id = n.channel_id
    ORDER BY n.ord
    RETURNING messages.channel_id, messages.seq, messages.id, messages.client_msg_id,
      messages.sender_id, messages.body, messages.created_at, messages.kind, messages.target_seq
  )
  -- An edit's text may still go (below): edits come back after that.
  SELECT * FROM stored s WHERE s.kind <> 'edit';
  GET DIAGNOSTICS returned = ROW_COUNT;

  -- The batch's events, as stored (a stored row's kind wins over a reused clientMsgId's), in seq
  -- order. Plain messages carry no kind in the batch, so they cost no probe here.
  FOR ev IN
    SELECT m.channel_id, m.seq, m.kind, m.target_seq, m.sender_id, m.body, m.created_at
    FROM json_to_recordset(batch) AS k(sender_id uuid, channel_id text, client_msg_id text,
      kind text)
    CROSS JOIN LATERAL (
      SELECT * FROM messages m
      WHERE m.sender_id = k.sender_id AND m.channel_id = k.channel_id
        AND m.client_msg_id = k.client_msg_id
      LIMIT 1) m
    WHERE k.kind <> 'message' AND m.kind <> 'message'
    ORDER BY m.channel_id, m.seq
  LOOP
    IF ev.kind = 'edit' THEN
      -- Only its author's, never a tombstone's, never older than the edit it shows.
      UPDATE messages t SET body = ev.body, edited_at = ev.created_at, edited_seq = ev.seq
      WHERE t.channel_id = ev.channel_id AND t.seq = ev.target_seq AND t.kind = 'message'
        AND t.sender_id = ev.sender_id AND t.deleted_at IS NULL
        AND coalesce(t.edited_seq, 0) < ev.seq;
      -- Acked before a delete was stored, stored after it: its text goes too.
      IF NOT FOUND THEN
        UPDATE messages e SET body = ''
        WHERE e.channel_id = ev.channel_id AND e.seq = ev.seq AND EXISTS (
          SELECT 1 FROM messages t WHERE t.channel_id = ev.channel_id AND t.seq = ev.target_seq
            AND t.deleted_at IS NOT NULL);
      END IF;
    ELSIF ev.kind = 'delete' THEN
      UPDATE messages t SET body = '', deleted_at = ev.created_at
      WHERE t.channel_id = ev.channel_id AND t.seq = ev.target_seq AND t.kind = 'message'
        AND t.deleted_at IS NULL
        AND (t.sender_id = ev.sender_id OR EXISTS (
          SELECT 1 FROM channel_members o
          WHERE o.channel_id = ev.channel_id AND o.user_id = ev.sender_id AND o.role = 'owner'));
      IF FOUND THEN
        -- The text goes with every edit that carried it, and a tombstone has no reactions.
        UPDATE messages e SET body = ''
        WHERE e.channel_id = ev.channel_id AND e.target_seq = ev.target_seq AND e.kind = 'edit';
        DELETE FROM message_reactions r
        WHERE r.channel_id = ev.channel_id AND r.seq = ev.target_seq;
      END IF;
    ELSE
      -- react / unreact: the newest event per (message, user, reaction) decides.
      INSERT INTO message_reactions AS r (channel_id, seq, user_id, reaction, present, event_seq)
      SELECT ev.channel_id, ev.target_seq, ev.sender_id, ev.body, ev.kind = 'react', ev.seq
      FROM messages t
      WHERE t.channel_id = ev.channel_id AND t.seq = ev.target_seq AND t.kind = 'message'
        AND t.deleted_at IS NULL
      ON CONFLICT ON CONSTRAINT message_reactions_pkey DO UPDATE
        SET present = excluded.present, event_seq = excluded.event_seq
        WHERE r.event_seq < excluded.event_seq;
    END IF;
  END LOOP;

  -- The batch's edits as stored now: no text when their message was deleted before them or later
  -- in this batch.
  RETURN QUERY
  SELECT m.channel_id, m.seq, m.id, m.client_msg_id, m.sender_id, m.body, m.created_at, m.kind,
    m.target_seq
  FROM json_to_recordset(batch) AS k(sender_id uuid, channel_id text, client_msg_id text,
    kind text)
  CROSS JOIN LATERAL (
    SELECT * FROM messages m
    WHERE m.sender_id = k.sender_id AND m.channel_id = k.channel_id
      AND m.client_msg_id = k.client_msg_id
    LIMIT 1) m
  WHERE k.kind = 'edit' AND m.kind = 'edit';
  GET DIAGNOSTICS edits = ROW_COUNT;

  -- Some were stored by an earlier try (a re-read after a crash): return those rows too, for
  -- re-delivery. This returns the batch's stored rows again; the caller dedupes.
  IF returned + edits = json_array_length(batch) THEN
    RETURN;
  END IF;
  RETURN QUERY
  SELECT m.channel_id, m.seq, m.id, m.client_msg_id, m.sender_id, m.body, m.created_at, m.kind,
    m.target_seq
  FROM json_to_recordset(batch) AS k(sender_id uuid, channel_id text, client_msg_id text)
  CROSS JOIN LATERAL (
    SELECT * FROM messages m
    WHERE m.sender_id = k.sender_id AND m.channel_id = k.channel_id
      AND m.client_msg_id = k.client_msg_id
    LIMIT 1) m;
END
$$;
