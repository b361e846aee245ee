// Staff accounts (issue 12, owned by src/staff): users with their password hash and second factor, the console's
// server-side sessions, and API tokens for integrations. Secrets are never stored as given: passwords as
// argon2id hashes, session cookies and API tokens as SHA-256 digests of high-entropy random values, TOTP
// secrets sealed with ENCRYPTION_KEY.
export const staff: readonly string[] = [
  `create table staff_users (
    id uuid primary key default gen_random_uuid(),
    email text not null unique check (email = lower(email)),
    display_name text not null,
    role text not null check (role in ('admin', 'clinician', 'reception', 'analyst')),
    password_hash text not null,
    totp_secret bytea,
    -- A secret handed out by setup and not yet confirmed by a code: it never replaces the active one unconfirmed.
    totp_pending_secret bytea,
    totp_enabled boolean not null default false,
    -- The last accepted TOTP time step: a code is accepted once (replay guard).
    totp_last_step bigint,
    require_totp boolean not null default false,
    -- Consecutive failed passwords and second factors; reset only by a complete login.
    failed_logins integer not null default 0,
    locked_until timestamptz,
    disabled_at timestamptz,
    password_changed_at timestamptz not null default now(),
    last_login_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create index staff_users_created on staff_users (created_at, id)`,
  // id is the SHA-256 (hex) of the cookie's random token: a read of this table gives no usable session.
  `create table staff_sessions (
    id text primary key,
    user_id uuid not null references staff_users (id) on delete cascade,
    csrf_token text not null,
    created_at timestamptz not null default now(),
    last_seen_at timestamptz not null default now(),
    expires_at timestamptz not null,
    revoked_at timestamptz,
    -- Password accepted, second factor still due: grants nothing but POST /api/auth/totp.
    pending_totp boolean not null default false,
    ip text
  )`,
  `create index staff_sessions_user on staff_sessions (user_id) where revoked_at is null`,
  `create table api_tokens (
    id uuid primary key default gen_random_uuid(),
    name text not null,
    token_hash text not null unique,
    role text not null check (role in ('admin', 'clinician', 'reception', 'analyst')),
    -- null: created with ADMIN_API_TOKEN (no user behind it). A user's tokens go with the user.
    created_by uuid references staff_users (id) on delete cascade,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    revoked_at timestamptz,
    last_used_at timestamptz
  )`,
  `create index api_tokens_created on api_tokens (created_at, id)`,
  // The per-IP limit on the sign-in routes, shared by every instance: one row per route and address.
  `create table auth_rate_limits (
    key text primary key,
    window_started_at timestamptz not null,
    hits integer not null
  )`,
  `create index auth_rate_limits_window on auth_rate_limits (window_started_at)`,
];
