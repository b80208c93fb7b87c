package mail

import (
	"context"
	"time"
)

// Purge runs the deletion of old sent messages that Run does hourly.
func Purge(o *Outbox, ctx context.Context, now time.Time) (int64, error) { return o.purge(ctx, now) }
