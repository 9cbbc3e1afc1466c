-- +goose Up
-- The purge of expired refresh tokens deletes by expiry, oldest first.
CREATE INDEX refresh_tokens_expires_at_idx ON refresh_tokens (expires_at);

-- +goose Down
DROP INDEX refresh_tokens_expires_at_idx;
