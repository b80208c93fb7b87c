-- auth's tables. Times are unix seconds (UTC). Secrets — session ids and
-- bearer tokens — are stored only as SHA-256 hashes, so that a copy of the
-- database opens no account. The PostgreSQL twin of this file differs only
-- in how ids are generated.

-- People and scripts' owners. issuer and subject are NULL for a user that
-- `admin grant` made before the first login; email is stored lower-cased.
CREATE TABLE auth_users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    issuer        TEXT,
    subject       TEXT,
    email         TEXT UNIQUE,
    name          TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    last_login_at BIGINT NOT NULL DEFAULT 0,
    UNIQUE (issuer, subject)
);

-- Roles held at units (a unit and everything it contains).
CREATE TABLE auth_grants (
    user_id    BIGINT NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    unit       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (user_id, role, unit)
);

-- Browser sessions, by the hash of the id in the cookie. id_token is kept
-- for the provider's logout (id_token_hint).
CREATE TABLE auth_sessions (
    id_hash      TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    id_token     TEXT NOT NULL DEFAULT '',
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT ''
);

CREATE INDEX auth_sessions_user ON auth_sessions (user_id);
CREATE INDEX auth_sessions_expires ON auth_sessions (expires_at);

-- Sign-ons under way, by the hash of their state: the PKCE verifier, the
-- nonce and where to go afterwards. Each is used once.
CREATE TABLE auth_logins (
    state_hash TEXT PRIMARY KEY,
    verifier   TEXT NOT NULL,
    nonce      TEXT NOT NULL,
    next       TEXT NOT NULL DEFAULT '',
    expires_at BIGINT NOT NULL
);

-- Bearer tokens for scripts, each with the one grant it was made with.
-- prefix is the token's visible start, to recognise it in lists; a zero
-- expires_at never expires, a non-zero revoked_at is revoked.
CREATE TABLE auth_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    prefix       TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    user_id      BIGINT NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
    role         TEXT NOT NULL,
    unit         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    created_by   TEXT NOT NULL DEFAULT '',
    expires_at   BIGINT NOT NULL DEFAULT 0,
    revoked_at   BIGINT NOT NULL DEFAULT 0,
    last_used_at BIGINT NOT NULL DEFAULT 0
);

-- The audit log: who (actor, and actor_id while the user exists), did
-- what, on which unit and target, when, from where, with what outcome.
-- actor_id has no foreign key so that the record outlives the user.
CREATE TABLE auth_audit (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         BIGINT NOT NULL,
    actor_id   BIGINT NOT NULL DEFAULT 0,
    actor      TEXT NOT NULL DEFAULT '',
    action     TEXT NOT NULL,
    unit       TEXT NOT NULL DEFAULT '',
    target     TEXT NOT NULL DEFAULT '',
    outcome    TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    ip         TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    request_id TEXT NOT NULL DEFAULT ''
);

CREATE INDEX auth_audit_at ON auth_audit (at);
CREATE INDEX auth_audit_unit ON auth_audit (unit, id);
