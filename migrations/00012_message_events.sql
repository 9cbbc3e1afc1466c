-- +goose Up
-- Edits, deletes and reactions as events in their channel's own sequence (docs/ARCHITECTURE.md,
-- "Edits, deletes and reactions"): each is a row of `messages` with its own seq, its kind and the
-- seq of the message it acts on, stored by store_message_batch like any message (deduplicated per
-- (sender, channel, client_msg_id)), which then applies it to its target: the current text and
-- when it was edited (edited_seq: the edit shown, so an older one never wins), the tombstone, and
-- the reactions with who gave them (event_seq: the newest react/unreact per user decides).
ALTER TABLE messages
  ADD COLUMN kind text NOT NULL DEFAULT 'message'
    CHECK (kind IN ('message', 'edit', 'delete', 'react', 'unreact')),
  ADD COLUMN target_seq bigint,
  ADD COLUMN edited_at timestamptz,
  ADD COLUMN edited_seq bigint,
  ADD COLUMN deleted_at timestamptz,
  ADD CONSTRAINT messages_event_target CHECK ((kind = 'message') = (target_seq IS NULL));
-- A delete blanks the text of its message's edits, found by their target.
CREATE INDEX messages_target_idx ON messages (channel_id, target_seq) WHERE target_seq IS NOT NULL;

CREATE TABLE message_reactions (
  channel_id text NOT NULL,
  seq bigint NOT NULL,
  user_id uuid NOT NULL,
  reaction text NOT NULL,
  present boolean NOT NULL,
  event_seq bigint NOT NULL,
  PRIMARY KEY (channel_id, seq, reaction, user_id),
  FOREIGN KEY (channel_id, seq) REFERENCES messages (channel_id, seq) ON DELETE CASCADE
);


-- Unread counts of ordinary messages only (an edit, a delete or a reaction is no news): each row
-- carries its channel's count of ordinary messages up to and including it, and the channel the
-- count at its last seq, both kept by store_message_batch in the transaction that numbers the rows.
-- Read markers stay seqs (recovery and receipts speak seqs); unread is then the channel's count
-- less the count at the marker, one index probe per channel (messages_through), never a count
-- over a channel's history. Rows already stored are counted once, here (this rewrites `messages`:
-- on a large table, run it in a quiet hour). Rows inserted by other means count 0.
--
-- store_message_batch also returns an edit as stored after the batch's events are applied, so
-- an edit whose message was deleted first, or later in the same batch, is delivered without its
-- text, as history and replays show it.
ALTER TABLE channels ADD COLUMN message_count bigint NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN message_count bigint NOT NULL DEFAULT 0;

UPDATE messages m SET message_count = n.message_count
FROM (
  SELECT channel_id, seq,
    count(*) FILTER (WHERE kind = 'message') OVER (PARTITION BY channel_id ORDER BY seq)
      AS message_count
  FROM messages) n
WHERE m.channel_id = n.channel_id AND m.seq = n.seq AND n.message_count > 0;
UPDATE channels c SET message_count = n.message_count
FROM (SELECT channel_id, count(*) AS message_count FROM messages WHERE kind = 'message'
  GROUP BY channel_id) n
WHERE c.id = n.channel_id;

-- The channel's ordinary messages up to `upto`, as counted: the newest row at or before it
-- says; with none kept there (pruned, or a marker of 0), the oldest row after it; with no rows
-- at all, every message (then none is kept after the marker: the caller's difference is 0).
-- +goose StatementBegin
CREATE FUNCTION messages_through(channel text, upto bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
  SELECT coalesce(
    (SELECT m.message_count FROM messages m WHERE m.channel_id = channel AND m.seq <= upto
      ORDER BY m.seq DESC LIMIT 1),
    (SELECT m.message_count - (m.kind = 'message')::int FROM messages m
      WHERE m.channel_id = channel AND m.seq > upto ORDER BY m.seq LIMIT 1),
    (SELECT c.message_count FROM channels c WHERE c.id = channel),
    0)
$$;
-- +goose StatementEnd


-- The return type grows (kind, target_seq), so both functions are created anew.
DROP FUNCTION persist_partition_batch(json, text, integer, bigint, bigint);
DROP FUNCTION store_message_batch(json);

-- +goose StatementBegin
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
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION persist_partition_batch(
  batch json, log text, part integer, expected bigint, next bigint
)
RETURNS TABLE (
  channel_id text, seq bigint, id uuid, client_msg_id text, sender_id uuid, body text,
  created_at timestamptz, kind text, target_seq bigint
)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM advance_persist_offset(log, part, expected, next);
  RETURN QUERY SELECT * FROM store_message_batch(batch);
END
$$;
-- +goose StatementEnd

-- +goose Down
-- Event rows stay, read by version 11 as plain messages (an edit's text, a reaction, an empty
-- delete), so seqs stay gap-free; the state they made (edits, tombstones, reactions) stays only
-- as far as it is in the rows. Then 00005's functions come back.
DROP FUNCTION messages_through(text, bigint);
ALTER TABLE messages DROP COLUMN message_count;
ALTER TABLE channels DROP COLUMN message_count;
DROP FUNCTION persist_partition_batch(json, text, integer, bigint, bigint);
DROP FUNCTION store_message_batch(json);
DROP TABLE message_reactions;
ALTER TABLE messages
  DROP CONSTRAINT messages_event_target,
  DROP COLUMN deleted_at,
  DROP COLUMN edited_seq,
  DROP COLUMN edited_at,
  DROP COLUMN target_seq,
  DROP COLUMN kind;

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
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION persist_partition_batch(
  batch json, log text, part integer, expected bigint, next bigint
)
RETURNS TABLE (
  channel_id text, seq bigint, id uuid, client_msg_id text, sender_id uuid, body text,
  created_at timestamptz
)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM advance_persist_offset(log, part, expected, next);
  RETURN QUERY SELECT * FROM store_message_batch(batch);
END
$$;
-- +goose StatementEnd
