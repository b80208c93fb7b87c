-- Congress records, one per term and territory (a province or a commune):
-- the record as JSON in data, with the columns the lists, filters and
-- summary read beside it. on_date is the day the congress is expected
-- (the new date of a postponed one), "" when unknown. Times are
-- fixed-width RFC 3339 in UTC, so that text order is time order.
CREATE TABLE congress_records (
    term       TEXT NOT NULL,
    territory  TEXT NOT NULL,
    province   TEXT NOT NULL,
    level      TEXT NOT NULL,
    status     TEXT NOT NULL,
    on_date    TEXT NOT NULL DEFAULT '',
    data       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (term, territory)
);

CREATE INDEX congress_records_province ON congress_records (term, province, status, on_date);

-- Every write of a record, in commit order: id is the change stream's
-- event id. data is the record as written; reason the correction or
-- attachment change that the write was.
CREATE TABLE congress_history (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    term       TEXT NOT NULL,
    territory  TEXT NOT NULL,
    province   TEXT NOT NULL,
    version    INTEGER NOT NULL,
    status     TEXT NOT NULL,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL DEFAULT '',
    reason     TEXT NOT NULL DEFAULT '',
    data       TEXT NOT NULL
);

CREATE INDEX congress_history_term ON congress_history (term, id);
CREATE INDEX congress_history_territory ON congress_history (term, territory, id);

-- The bytes of attachments (resolutions, photos and their thumbnails).
CREATE TABLE congress_blobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    term         TEXT NOT NULL,
    territory    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data         BLOB NOT NULL,
    thumb        BLOB,
    created_at   TEXT NOT NULL
);

CREATE INDEX congress_blobs_territory ON congress_blobs (term, territory);
