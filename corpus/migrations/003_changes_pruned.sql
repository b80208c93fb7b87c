-- How far the change log was pruned: the changes up to and including
-- through are gone, so a follower that applied fewer must rebuild its
-- index from the documents rather than apply what is left.
CREATE TABLE document_changes_pruned (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    through BIGINT NOT NULL
);
