-- Users. Timestamps are kept at millisecond precision so they round-trip exactly through JavaScript
-- dates, which keyset cursors rely on. Emails are stored normalised (trimmed, lowercased) and compared
-- bytewise (COLLATE "C"), so ordering is the same on every PostgreSQL build.
CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text COLLATE "C" NOT NULL UNIQUE,
  name text COLLATE "C" NOT NULL,
  role text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp())
);

CREATE INDEX users_created_at_id ON users (created_at, id);
CREATE INDEX users_name_id ON users (name, id);
CREATE INDEX users_role ON users (role);
