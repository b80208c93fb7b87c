-- A lease per background job: who runs it, and until when (Unix
-- milliseconds) unless renewed.
CREATE TABLE store_leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
