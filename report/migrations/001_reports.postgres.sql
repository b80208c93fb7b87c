-- PostgreSQL: paths compare byte by byte (COLLATE "C"), as org_territories.path does, for the range scans.
-- Reports, their history, lock exceptions and the running totals.
--
-- A report is one unit's (territory × organisation) report of a data set
-- for a period (2026-W47). vals holds its values as a JSON object. path
-- is the territory's materialised path (org_territories.path) and bucket
-- the path of the territory whose running totals the report feeds: its
-- commune for a commune or a village, the territory itself above. texts is 1 when the
-- report counts (submitted or approved) and has a text value, so that
-- the texts gathered for a roll-up are a range scan. Times are
-- fixed-width RFC 3339 in UTC ('' for none), so that text order is time
-- order. status '' marks a row being created inside its transaction; it
-- is never committed.
CREATE TABLE report_reports (
    dataset            TEXT NOT NULL,
    period             TEXT NOT NULL,
    territory          TEXT NOT NULL,
    org                TEXT NOT NULL,
    level              TEXT NOT NULL,
    bucket             TEXT NOT NULL,
    path               TEXT COLLATE "C" NOT NULL,
    status             TEXT NOT NULL,
    vals               TEXT NOT NULL DEFAULT '{}',
    texts              INTEGER NOT NULL DEFAULT 0,
    submitted_at       TEXT NOT NULL DEFAULT '',
    first_submitted_at TEXT NOT NULL DEFAULT '',
    approved_at        TEXT NOT NULL DEFAULT '',
    on_time            INTEGER NOT NULL DEFAULT 0,
    return_reason      TEXT NOT NULL DEFAULT '',
    version            INTEGER NOT NULL DEFAULT 0,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    updated_by         TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (dataset, period, territory, org)
);

CREATE INDEX report_reports_path ON report_reports (dataset, period, path, org, status);
CREATE INDEX report_reports_texts ON report_reports (dataset, period, texts, path);

-- Every change of a report: version is the report's version after it.
CREATE TABLE report_events (
    dataset   TEXT NOT NULL,
    period    TEXT NOT NULL,
    territory TEXT NOT NULL,
    org       TEXT NOT NULL,
    version   INTEGER NOT NULL,
    action    TEXT NOT NULL,
    status    TEXT NOT NULL,
    vals      TEXT NOT NULL DEFAULT '{}',
    reason    TEXT NOT NULL DEFAULT '',
    actor     TEXT NOT NULL DEFAULT '',
    at        TEXT NOT NULL,
    PRIMARY KEY (dataset, period, territory, org, version)
);

-- A lock exception granted by an upper level: the unit may change its
-- report of the period until until_at.
CREATE TABLE report_exceptions (
    dataset    TEXT NOT NULL,
    period     TEXT NOT NULL,
    territory  TEXT NOT NULL,
    org        TEXT NOT NULL,
    until_at   TEXT NOT NULL,
    reason     TEXT NOT NULL,
    granted_by TEXT NOT NULL DEFAULT '',
    granted_at TEXT NOT NULL,
    PRIMARY KEY (dataset, period, territory, org)
);

-- The running totals: the sum of each numeric field over the reports
-- that count, per data set, period, bucket (by its path) and
-- organisation; the fields "#reported" and "#on_time" count the reports.
-- A roll-up is a range scan of the primary key on path. Rows are only
-- ever added to, by deltas in the report's transaction (or rebuilt).
CREATE TABLE report_buckets (
    dataset TEXT NOT NULL,
    period  TEXT NOT NULL,
    path    TEXT COLLATE "C" NOT NULL,
    org     TEXT NOT NULL,
    field   TEXT NOT NULL,
    value   DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (dataset, period, path, org, field)
);

-- The villages created or retired, found without reading every village:
-- a roll-up corrects its expected and reported counts for the villages
-- created after a period's start or retired before its end.
CREATE INDEX report_org_created ON org_territories (level, created_at, path);
CREATE INDEX report_org_retired ON org_territories (level, retired_at, path);
