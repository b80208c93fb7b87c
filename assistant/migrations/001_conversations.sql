-- The assistant's conversations. This plain file is SQLite's; times are unix
-- seconds (UTC). The PostgreSQL override differs only in how ids are generated.

-- A conversation belongs to one user (auth_users.id); its title is the
-- first question, clipped.
CREATE TABLE assistant_conversations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    BIGINT NOT NULL,
    title      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX assistant_conversations_user ON assistant_conversations (user_id, updated_at);

-- One question and the answer given. citations is the JSON array of
-- assistant.Citation; mode is "extractive" or "generative".
CREATE TABLE assistant_answers (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id BIGINT NOT NULL REFERENCES assistant_conversations (id) ON DELETE CASCADE,
    question        TEXT NOT NULL,
    answer          TEXT NOT NULL,
    short           TEXT NOT NULL DEFAULT '',
    citations       TEXT NOT NULL DEFAULT '[]',
    mode            TEXT NOT NULL DEFAULT '',
    supported       INTEGER NOT NULL DEFAULT 0,
    notice          TEXT NOT NULL DEFAULT '',
    flagged         INTEGER NOT NULL DEFAULT 0,
    query           TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL
);

CREATE INDEX assistant_answers_conversation ON assistant_answers (conversation_id, id);

-- Staff's rating of an answer, kept for evaluation: one per user and
-- answer, changed in place.
CREATE TABLE answer_feedback (
    answer_id  BIGINT NOT NULL REFERENCES assistant_answers (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL,
    rating     TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment    TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (answer_id, user_id)
);
