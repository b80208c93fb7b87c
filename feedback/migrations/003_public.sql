-- What the public may read of an item, beside public_text (the content
-- with personal data removed, set at intake): the answer with personal
-- data removed (set whenever the answer is given or changed), whether an
-- officer reviewed both since, and the folded words of what is published,
-- which the public list is searched by without diacritics (" o nhiem ").
ALTER TABLE feedback_items ADD COLUMN public_answer TEXT;

ALTER TABLE feedback_items ADD COLUMN public_reviewed BOOLEAN NOT NULL DEFAULT FALSE;

ALTER TABLE feedback_items ADD COLUMN public_search TEXT NOT NULL DEFAULT '';
