package rollout

import (
	"context"
	"time"
)

// Clock is the engine's only source of time, so tests can control it.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx ends, whichever comes first, and then
	// returns ctx.Err() (nil when the full d elapsed).
	Sleep(ctx context.Context, d time.Duration) error
}

// systemClock is the real wall clock; Engine uses it when Clock is nil.
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
