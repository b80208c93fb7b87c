-- The audit log, indexed by who may read it: a row for every unit that
-- contains an event's unit (the unit itself, the same organisation and the
-- Front at each territory above it, and the root unit VN/MTTQ, which sees
-- everything). A unit's page is then one range of the primary key, read
-- newest first, however many newer events other units have. The rows are
-- written with the event; territories never move, so they never change.
CREATE TABLE auth_audit_scope (
    unit     TEXT NOT NULL,
    event_id BIGINT NOT NULL,
    PRIMARY KEY (unit, event_id)
);

-- It replaces the index of events by their own unit, which no read uses.
DROP INDEX auth_audit_unit;

-- How many times an event happened: one row sums up a client's refused
-- credentials of a minute (auth/refusals.go).
ALTER TABLE auth_audit ADD COLUMN occurrences BIGINT NOT NULL DEFAULT 1;

-- The events written before the index existed: the server indexes them
-- (Store.IndexBacklog) from upto down, and leaves 0 when done.
CREATE TABLE auth_audit_backlog (upto BIGINT NOT NULL);
INSERT INTO auth_audit_backlog (upto) SELECT COALESCE(MAX(id), 0) FROM auth_audit;
