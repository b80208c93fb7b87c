-- A unit's profile: the seeds' figures and texts for one territory ×
-- organisation. A unit without a row has an empty profile (version 0).
-- version counts the saves, so that two people editing at once cannot
-- overwrite each other unseen (SaveProfile refuses a stale version).
CREATE TABLE org_profiles (
    territory          TEXT NOT NULL REFERENCES org_territories (code),
    org                TEXT NOT NULL,
    members            BIGINT NOT NULL DEFAULT 0,
    full_time_staff    BIGINT NOT NULL DEFAULT 0,
    committee_members  BIGINT NOT NULL DEFAULT 0,
    executive_members  BIGINT NOT NULL DEFAULT 0,
    typical_activities TEXT NOT NULL DEFAULT '',
    difficulties       TEXT NOT NULL DEFAULT '',
    recommendations    TEXT NOT NULL DEFAULT '',
    version            INTEGER NOT NULL,
    updated_at         TEXT NOT NULL,
    updated_by         TEXT NOT NULL,
    PRIMARY KEY (territory, org)
);

-- Every change of every field: one row per field changed by a save,
-- with the save's version, who made it and when, the old and the new
-- value as text. Nothing is ever deleted from it.
CREATE TABLE org_profile_history (
    territory TEXT NOT NULL,
    org       TEXT NOT NULL,
    version   INTEGER NOT NULL,
    field     TEXT NOT NULL,
    old_value TEXT NOT NULL,
    new_value TEXT NOT NULL,
    actor     TEXT NOT NULL,
    at        TEXT NOT NULL,
    PRIMARY KEY (territory, org, version, field)
);
