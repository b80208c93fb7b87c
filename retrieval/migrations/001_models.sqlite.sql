-- The models the library teaches (the local embedder, the re-ranker),
-- kept in the database so that every instance on it embeds and ranks
-- with the same ones: the instance that trains writes a new version, the
-- others load it. body is the model as its package writes it; sha256 is
-- checked at every load.
CREATE TABLE library_models (
    kind       TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    recipe     TEXT    NOT NULL,
    corpus_seq INTEGER NOT NULL,
    passages   INTEGER NOT NULL,
    embedder   INTEGER NOT NULL,
    sha256     TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    body       BLOB    NOT NULL,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (kind, version)
);
