-- +goose Up
-- Several partitions' batches in one transaction (consumer/internal/domain/services/
-- persist_groups.ts). One transaction per partition batch made 16 small commits where one would do:
-- at 1,000 msg/s the partitions queued for the two store slots and a message waited ~40 ms for its
-- turn (bench/NOTES.md, fix 21). Each fence moves its partition's offset from `expected` to `next`
-- (taken in partition order, so concurrent groups never deadlock on them), then the batches' rows
-- are stored together: a partition's channels are its own, so each channel's rows still come from
-- one partition, in its log order. Any fence refused fails the whole group, and nothing is stored.
-- +goose StatementBegin
CREATE FUNCTION persist_partition_batches(batch json, fences json)
RETURNS TABLE (
  channel_id text, seq bigint, id uuid, client_msg_id text, sender_id uuid, body text,
  created_at timestamptz, kind text, target_seq bigint
)
LANGUAGE plpgsql AS $$
DECLARE
  f record;
BEGIN
  FOR f IN
    SELECT * FROM json_to_recordset(fences) AS x(log text, part integer, expected bigint, next bigint)
    ORDER BY x.log, x.part
  LOOP
    PERFORM advance_persist_offset(f.log, f.part, f.expected, f.next);
  END LOOP;
  RETURN QUERY SELECT * FROM store_message_batch(batch);
END
$$;
-- +goose StatementEnd

DROP FUNCTION persist_partition_batch(json, text, integer, bigint, bigint);

-- +goose Down
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
DROP FUNCTION persist_partition_batches(json, json);
