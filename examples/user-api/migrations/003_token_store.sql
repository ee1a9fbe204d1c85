-- fastify-keel's SqlTokenStore tables (sessions, refresh tokens, per-user revocations), so sessions survive a
-- restart when REDIS_URL is unset. The statements are sqlTokenStoreMigration() from fastify-keel/auth, verbatim
-- (test/migrations.test.ts keeps them equal); with REDIS_URL set the tables stay empty.
create table if not exists "keel_auth_sessions" (
  id text primary key check (char_length(id) <= 128),
  sub text not null check (char_length(sub) <= 1024),
  claims jsonb not null check (octet_length(claims::text) <= 8192),
  metadata jsonb not null check (octet_length(metadata::text) <= 2048),
  created_at double precision not null,
  last_used_at double precision not null,
  session_expires_at double precision not null,
  expires_at double precision not null,
  revoked boolean not null default false
);

create index if not exists "keel_auth_sessions_sub" on "keel_auth_sessions" (sub);

create index if not exists "keel_auth_sessions_expires_at" on "keel_auth_sessions" (expires_at);

create table if not exists "keel_auth_refresh_tokens" (
  hash text primary key check (char_length(hash) <= 128),
  session_id text not null references "keel_auth_sessions" (id) on delete cascade,
  expires_at double precision not null,
  used boolean not null default false,
  grace_until double precision,
  sealed_next text check (char_length(sealed_next) <= 256),
  next_expires_at double precision
);

create index if not exists "keel_auth_refresh_tokens_expires_at" on "keel_auth_refresh_tokens" (expires_at);

create index if not exists "keel_auth_refresh_tokens_session_id" on "keel_auth_refresh_tokens" (session_id);

create table if not exists "keel_auth_subjects" (
  sub text primary key check (char_length(sub) <= 1024),
  not_before double precision not null,
  expires_at double precision not null
);

create index if not exists "keel_auth_subjects_expires_at" on "keel_auth_subjects" (expires_at);
