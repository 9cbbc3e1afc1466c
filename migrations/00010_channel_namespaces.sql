-- +goose Up
-- A channel id may start with a namespace, `<namespace>:<name>` (options in NAMESPACES_FILE);
-- 64 characters in all, as before.
ALTER TABLE channels DROP CONSTRAINT channels_id_check;
ALTER TABLE channels ADD CONSTRAINT channels_id_check
  CHECK (id ~ '^(?=.{1,64}$)([A-Za-z0-9_-]+:)?[A-Za-z0-9_-]+$');

-- +goose Down
DELETE FROM channels WHERE id LIKE '%:%';
ALTER TABLE channels DROP CONSTRAINT channels_id_check;
ALTER TABLE channels ADD CONSTRAINT channels_id_check CHECK (id ~ '^[A-Za-z0-9_-]{1,64}$');
