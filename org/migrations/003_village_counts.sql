-- villages counts a commune's active villages, kept by CreateVillage and
-- RetireVillage, so that counting the villages under a province or the
-- country reads one entry of org_territories_level_path per commune
-- instead of one per village.
ALTER TABLE org_territories ADD COLUMN villages INTEGER NOT NULL DEFAULT 0;

UPDATE org_territories SET villages = (
    SELECT COUNT(*) FROM org_territories v
    WHERE v.parent_code = org_territories.code AND v.level = 'village' AND v.retired_at = '')
WHERE level = 'commune';

CREATE INDEX org_territories_level_path ON org_territories (level, path, retired_at, villages);
