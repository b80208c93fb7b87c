-- Every token expires. Tokens made when a zero expires_at meant "never"
-- get the default lifetime (90 days) from the upgrade, so that no script
-- stops the moment the server is updated. The PostgreSQL twin of this file
-- differs only in how it reads the clock.
UPDATE auth_tokens SET expires_at = CAST(strftime('%s', 'now') AS INTEGER) + 90 * 86400
    WHERE expires_at = 0 AND revoked_at = 0;
