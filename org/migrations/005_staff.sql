-- A unit's staff list (danh sách cán bộ): personal data, read only by
-- those allowed org.staff.read on the unit. A list is saved whole:
-- org_staff_lists holds its version, size and last change, org_staff its
-- people in the list's order (seq). people lets the rollout figures count
-- the communes with a list without reading the lists.
CREATE TABLE org_staff_lists (
    territory  TEXT NOT NULL REFERENCES org_territories (code),
    org        TEXT NOT NULL,
    people     INTEGER NOT NULL,
    version    INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (territory, org)
);

CREATE TABLE org_staff (
    territory  TEXT NOT NULL,
    org        TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    name       TEXT NOT NULL,
    position   TEXT NOT NULL DEFAULT '',
    full_time  INTEGER NOT NULL DEFAULT 0,
    committee  INTEGER NOT NULL DEFAULT 0,
    executive  INTEGER NOT NULL DEFAULT 0,
    phone      TEXT NOT NULL DEFAULT '',
    email      TEXT NOT NULL DEFAULT '',
    note       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (territory, org, seq)
);
