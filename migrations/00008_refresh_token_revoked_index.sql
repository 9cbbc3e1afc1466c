-- +goose Up
-- Producer and consumer poll recent revocations (logout, a replayed refresh token) to close the
-- sockets of the sessions they end; this keeps that poll an index range scan.
CREATE INDEX refresh_tokens_revoked_idx ON refresh_tokens (revoked_at) WHERE revoked_at IS NOT NULL;

-- +goose Down
DROP INDEX refresh_tokens_revoked_idx;
