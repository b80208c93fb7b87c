-- The e-mail outbox. A module writes a message in the same transaction as
-- the change that caused it, so a message exists exactly when that change
-- committed; a sender delivers it later. Times are unix milliseconds (UTC),
-- 0 for "not yet". The PostgreSQL twin of this file differs only in how
-- ids are generated.
--
-- status is pending (waiting or being sent), sent, or failed (refused for
-- good, or out of attempts; kept with last_error for an operator to see).
-- A pending message is due when next_attempt_at has passed and no lease
-- holds it: a sender claims it by setting claimed_by and claimed_until,
-- and another sender leaves it alone until claimed_until has passed, so
-- that a sender that dies mid-send delays a message but never loses it.
-- attempts counts the claims, so that a message whose sender keeps dying
-- still runs out of attempts.
--
-- message_id is the Message-ID header, fixed when the message is written:
-- a message sent again after a lost acknowledgement carries the same one,
-- which lets a receiving system recognise the copy.
CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id      TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL DEFAULT '',
    ref             TEXT NOT NULL DEFAULT '',
    to_name         TEXT NOT NULL DEFAULT '',
    to_addr         TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_by      TEXT NOT NULL DEFAULT '',
    claimed_until   BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    done_at         BIGINT NOT NULL DEFAULT 0
);

-- What a sender claims next, oldest due first.
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at, id) WHERE status = 'pending';
-- Counting by status, and purging sent messages by age.
CREATE INDEX mail_outbox_status ON mail_outbox (status, done_at);
-- "Was the citizen told about this item?"
CREATE INDEX mail_outbox_ref ON mail_outbox (kind, ref);
