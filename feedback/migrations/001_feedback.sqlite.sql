-- feedback's tables (SQLite). The PostgreSQL twin of this file differs only
-- in how ids are generated, the types of floats and bytes, and the
-- collation of unit_path. Times are unix seconds (UTC); a time not yet
-- reached (answered_at of an open item) is NULL.

-- The items. code is the tracking code, canonical (10 characters, no
-- dash). content is as the citizen wrote it and is never shown publicly;
-- public_text is the content with personal data removed, NULL until an
-- officer reviewed it. unit is the receiving unit ("26734/MTTQ") and
-- unit_path its territory's path ("VN/79/26734/"), which the listings of
-- a unit's subtree range over. topic_source says who chose the topic:
-- '' (not tagged yet), 'citizen', 'classifier', 'officer'.
CREATE TABLE feedback_items (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    code             TEXT NOT NULL UNIQUE,
    content          TEXT NOT NULL,
    public_text      TEXT,
    province         TEXT NOT NULL,
    commune          TEXT NOT NULL,
    village          TEXT NOT NULL DEFAULT '',
    address          TEXT NOT NULL DEFAULT '',
    lat              REAL,
    lon              REAL,
    level            TEXT NOT NULL,
    unit             TEXT NOT NULL,
    unit_path        TEXT NOT NULL,
    topic            TEXT NOT NULL DEFAULT '',
    topic_confidence REAL NOT NULL DEFAULT 0,
    topic_flagged    BOOLEAN NOT NULL DEFAULT FALSE,
    topic_source     TEXT NOT NULL DEFAULT '',
    state            TEXT NOT NULL,
    outcome          TEXT NOT NULL DEFAULT '',
    reason           TEXT NOT NULL DEFAULT '',
    agency           TEXT NOT NULL DEFAULT '',
    answer           TEXT NOT NULL DEFAULT '',
    published        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    due_at           BIGINT NOT NULL,
    forwarded_at     BIGINT,
    answered_at      BIGINT,
    closed_at        BIGINT,
    escalated_at     BIGINT,
    published_at     BIGINT,
    duplicate_of     BIGINT REFERENCES feedback_items (id)
);

-- A unit's queue by state, soonest due first.
CREATE INDEX feedback_items_queue ON feedback_items (unit, state, due_at);
-- The queues of a unit's subtree: a range of unit_path.
CREATE INDEX feedback_items_subtree ON feedback_items (unit_path, state, id);
-- Open items by deadline, for overdue highlighting and escalation; a query
-- uses it when it repeats this WHERE clause.
CREATE INDEX feedback_items_due ON feedback_items (due_at)
    WHERE state IN ('received', 'accepted', 'forwarded', 'in_progress');
-- Where complaints concentrate: commune × topic over time.
CREATE INDEX feedback_items_commune_topic ON feedback_items (commune, topic, created_at);
CREATE INDEX feedback_items_created ON feedback_items (created_at);
-- The public list of published answers, newest first.
CREATE INDEX feedback_items_published ON feedback_items (published, answered_at);
-- Items waiting for the classifier.
CREATE INDEX feedback_items_untagged ON feedback_items (id) WHERE topic_source = '';

-- The submitter, when they gave anything: apart from the items, so that
-- no public query reaches it by a join made by accident.
CREATE TABLE feedback_contacts (
    item_id BIGINT PRIMARY KEY REFERENCES feedback_items (id),
    name    TEXT NOT NULL DEFAULT '',
    phone   TEXT NOT NULL DEFAULT '',
    email   TEXT NOT NULL DEFAULT ''
);

-- Photos, re-encoded without metadata, with a thumbnail; the bytes are in
-- feedback_blobs. public is set when an officer publishes the photo.
CREATE TABLE feedback_photos (
    item_id      BIGINT NOT NULL REFERENCES feedback_items (id),
    seq          INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    width        INTEGER NOT NULL DEFAULT 0,
    height       INTEGER NOT NULL DEFAULT 0,
    size         INTEGER NOT NULL DEFAULT 0,
    blob_key     TEXT NOT NULL,
    thumb_key    TEXT NOT NULL,
    thumb_type   TEXT NOT NULL,
    public       BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (item_id, seq)
);

-- Bytes (photos, thumbnails) by key, so that a deployment needs nothing
-- but its database.
CREATE TABLE feedback_blobs (
    key        TEXT PRIMARY KEY,
    data       BLOB NOT NULL,
    created_at BIGINT NOT NULL
);

-- Idempotency-Key of a submission: the hash of the request it came with,
-- the item made and the answer given, which a retry gets again.
CREATE TABLE feedback_idempotency (
    key          TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    item_id      BIGINT NOT NULL REFERENCES feedback_items (id),
    response     TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE INDEX feedback_idempotency_created ON feedback_idempotency (created_at);

-- Every item's history: submitted, moved, re-routed, re-tagged,
-- published, escalated. from_state and to_state are '' when the state did
-- not change. ip is the sender's address.
CREATE TABLE feedback_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id    BIGINT NOT NULL REFERENCES feedback_items (id),
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL DEFAULT '',
    action     TEXT NOT NULL,
    from_state TEXT NOT NULL DEFAULT '',
    to_state   TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '',
    ip         TEXT NOT NULL DEFAULT ''
);

CREATE INDEX feedback_events_item ON feedback_events (item_id, id);

-- Officers' internal notes, never public.
CREATE TABLE feedback_notes (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id BIGINT NOT NULL REFERENCES feedback_items (id),
    at      BIGINT NOT NULL,
    author  TEXT NOT NULL DEFAULT '',
    text    TEXT NOT NULL
);

CREATE INDEX feedback_notes_item ON feedback_notes (item_id, id);

-- Officers' corrections of topics: the classifier's training data, kept
-- so that nothing it learnt is lost on restart.
CREATE TABLE feedback_corrections (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id BIGINT REFERENCES feedback_items (id),
    text    TEXT NOT NULL,
    topic   TEXT NOT NULL,
    at      BIGINT NOT NULL,
    actor   TEXT NOT NULL DEFAULT ''
);
