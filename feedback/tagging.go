package feedback

import (
	"context"
	"fmt"
)

// tagBatch is how many untagged items TagPending reads at a time.
const tagBatch = 100

// TagPending tags the items stored while no classifier was in service
// (topic_source pending) and returns how many it tagged. An item still
// received, not yet taken up, is routed again: a topic configured as
// higher-level sends it to that level, with that level's deadline. It
// does nothing without a classifier.
func (s *Service) TagPending(ctx context.Context) (int, error) {
	c := s.Classifier()
	if c == nil {
		return 0, nil
	}
	done := 0
	var after int64
	for {
		rows, err := s.store.db.QueryContext(ctx, `SELECT id FROM feedback_items WHERE topic_source = '' AND id > $1
			ORDER BY id LIMIT $2`, after, tagBatch)
		if err != nil {
			return done, fmt.Errorf("feedback: untagged items: %w", err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return done, err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return done, err
		}
		if len(ids) == 0 {
			return done, nil
		}
		for _, id := range ids {
			after = id
			tagged := false
			_, err := s.store.Update(ctx, id, Change{Actor: "system", Action: "tag"}, func(ctx context.Context, _ Querier, it *Item) error {
				if it.TopicSource != TopicPending {
					return errUnchanged
				}
				res, err := c.Classify(ctx, it.Content)
				if err != nil {
					return err
				}
				applyResult(it, res, s.threshold)
				if it.State == Received {
					unit, due := it.Unit, it.DueAt
					s.route(it)
					if it.Unit == unit {
						it.DueAt = due
					}
				}
				tagged = true
				return nil
			})
			if err != nil && err != errUnchanged {
				return done, fmt.Errorf("feedback: tag item %d: %w", id, err)
			}
			if tagged {
				done++
			}
		}
	}
}

// errUnchanged ends an Update that has nothing to do.
var errUnchanged = fmt.Errorf("feedback: unchanged")
