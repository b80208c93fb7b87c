-- Conversations are listed and paged by their latest answer: answer ids
-- grow with time, so the latest answer's id orders conversations by last
-- use exactly, where updated_at (seconds) ties, and is a cursor for the
-- next page.
ALTER TABLE assistant_conversations ADD COLUMN last_answer_id BIGINT NOT NULL DEFAULT 0;

UPDATE assistant_conversations SET last_answer_id = COALESCE(
    (SELECT MAX(a.id) FROM assistant_answers a WHERE a.conversation_id = assistant_conversations.id), 0);

CREATE INDEX assistant_conversations_recent ON assistant_conversations (user_id, last_answer_id);
