-- Indexes the statistics read instead of the table: each holds what one
-- kind of figure needs, led by the time it ranges over, so that the
-- figures of a period are summed from the index alone (no row is
-- fetched): received (created_at; this one replaces the index on
-- created_at alone, its prefix), due (due_at) and answered (answered_at).
DROP INDEX feedback_items_created;
CREATE INDEX feedback_items_stats_created ON feedback_items (created_at, unit_path, state, topic, commune);
CREATE INDEX feedback_items_stats_due ON feedback_items (due_at, unit_path, state, answered_at);
CREATE INDEX feedback_items_stats_answered ON feedback_items (answered_at, unit_path, created_at);
