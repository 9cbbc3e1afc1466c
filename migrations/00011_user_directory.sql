-- +goose Up
-- The user directory searches display names by prefix, case-insensitively (exact email already
-- has the unique index).
CREATE INDEX users_display_name_prefix_idx ON users (lower(display_name) text_pattern_ops);

-- +goose Down
DROP INDEX users_display_name_prefix_idx;
