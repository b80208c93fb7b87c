-- Every token expires. Tokens made when a zero expires_at meant "never"
-- get the default lifetime (90 days) from the upgrade, so that no script
-- stops the moment the server is updated. The SQLite twin of this file
-- differs only in how it reads the clock.
UPDATE auth_tokens SET expires_at = CAST(EXTRACT(EPOCH FROM now()) AS BIGINT) + 90 * 86400
    WHERE expires_at = 0 AND revoked_at = 0;
