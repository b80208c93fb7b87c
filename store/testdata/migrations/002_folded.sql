-- A later migration changes a table an earlier one made.
ALTER TABLE notes ADD COLUMN folded TEXT NOT NULL DEFAULT '';
CREATE INDEX notes_folded ON notes (folded);
