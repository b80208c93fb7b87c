-- The descendant range scans on path rely on byte order; PostgreSQL sorts
-- TEXT by the database's collation, which in most locales is not byte
-- order ("/" and "-" are ignored at the first level), so path uses "C".
ALTER TABLE org_territories ALTER COLUMN path TYPE TEXT COLLATE "C";
