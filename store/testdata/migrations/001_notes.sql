CREATE TABLE notes (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
