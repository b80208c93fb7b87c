-- The territory tree: central VN, provinces and communes from the official
-- list (mattranso admin import-units), villages created by their communes.
-- Units (territory × organisation) are computed, not stored.
--
-- path is the materialised path, codes from the root each followed by "/"
-- ("VN/79/26734/26734-001/"): territory A is an ancestor of B when B's
-- path has "/A/" in it (codes of different levels cannot be confused), and
-- A's descendants are the paths in [A.path, A.path with its last "/"
-- turned to "0"), a range scan on org_territories_path, which also holds
-- level and retired_at so that counting descendants reads the index only.
-- A path is unique because it ends with the territory's own code.
--
-- name is NFC as given; name_key (org.NameKey) matches names across
-- tone-mark styles; name_fold (corpus.Fold) serves search typed without
-- diacritics. retired_at is '' for an active territory. Times are
-- fixed-width RFC 3339 in UTC, so that text order is time order.
CREATE TABLE org_territories (
    code        TEXT PRIMARY KEY,
    level       TEXT NOT NULL,
    parent_code TEXT REFERENCES org_territories (code),
    path        TEXT NOT NULL,
    name        TEXT NOT NULL,
    short_name  TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL DEFAULT '',
    kind_full   TEXT NOT NULL DEFAULT '',
    name_en     TEXT NOT NULL DEFAULT '',
    former_name TEXT NOT NULL DEFAULT '',
    alt_code    TEXT NOT NULL DEFAULT '',
    name_key    TEXT NOT NULL,
    short_key   TEXT NOT NULL DEFAULT '',
    name_fold   TEXT NOT NULL,
    next_child  INTEGER NOT NULL DEFAULT 0,
    retired_at  TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE INDEX org_territories_path ON org_territories (path, level, retired_at);
CREATE INDEX org_territories_parent ON org_territories (parent_code, code);
CREATE INDEX org_territories_name_key ON org_territories (name_key);
CREATE INDEX org_territories_short_key ON org_territories (short_key);

-- Two active villages of one commune may not share a name, tone-mark
-- style aside; a retired village frees its name.
CREATE UNIQUE INDEX org_territories_village_name ON org_territories (parent_code, name_key)
    WHERE level = 'village' AND retired_at = '';

INSERT INTO org_territories (code, level, parent_code, path, name, short_name, name_en,
    name_key, short_key, name_fold, created_at, updated_at)
VALUES ('VN', 'central', NULL, 'VN/', 'Trung ương', 'Trung ương', 'Central',
    'trung ương', 'trung ương', 'trung uong', '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z');
