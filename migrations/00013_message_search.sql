-- +goose Up
-- Full-text search over message bodies (GET /v1/search). The 'simple' configuration lower-cases
-- and splits words without stemming or stop words, so it serves every language alike; the query
-- side (consumer/internal/adapters/outbound/pg_message_search.ts) must use this exact expression
-- for the index to be used. On a large existing table this build blocks writes to messages while
-- it runs: an operator may build the same index by name with CREATE INDEX CONCURRENTLY first,
-- and this migration then does nothing.
CREATE INDEX IF NOT EXISTS messages_body_search_idx
  ON messages USING gin (to_tsvector('simple'::regconfig, body));

-- +goose Down
DROP INDEX IF EXISTS messages_body_search_idx;
