-- +goose Up
-- Application backends call the server API with API keys. Only a SHA-256 of each key is kept:
-- a key is 256 random bits, so a fast hash is as good as a slow one and costs a request nothing.
CREATE TABLE api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  key_hash bytea NOT NULL UNIQUE,
  scopes text[] NOT NULL CHECK (scopes <@ ARRAY['publish', 'read', 'moderate']::text[]),
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);

-- The sender of a message a backend publishes as itself. No password hash decodes from '!', so
-- nobody can log in as it; the email's .invalid domain can never be registered.
INSERT INTO users (id, email, password_hash, display_name)
VALUES ('00000000-0000-0000-0000-000000000000', 'system@rtm.invalid', '!', 'system');

-- +goose Down
DELETE FROM users WHERE id = '00000000-0000-0000-0000-000000000000';
DROP TABLE api_keys;
