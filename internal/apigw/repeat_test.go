package apigw

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestTransient(t *testing.T) {
	for status, want := range map[int]bool{429: true, 502: true, 503: true, 504: true, 500: false, 400: false, 409: false} {
		err := &APIError{StatusCode: status}
		if got := transient(err); got != want {
			t.Errorf("transient(HTTP %d) = %v, want %v", status, got, want)
		}
	}
	if !transient(&TransportError{Err: errors.New("connection reset")}) {
		t.Error("a request without an answer must count as transient")
	}
}

// TestRepeatFollowsTheConfig: Repeat sends at most MaxRetries more times,
// waits between sends as the client's own retries do, and stops waiting
// when ctx ends.
func TestRepeatFollowsTheConfig(t *testing.T) {
	c := newTestClient(t, func(c *Config) {
		c.MaxRetries, c.RetryWaitMin, c.RetryWaitMax = 3, 20*time.Millisecond, 40*time.Millisecond
	})
	busy := &APIError{StatusCode: 503}
	var sends []time.Time
	err := c.Repeat(ctxT(t), func() error {
		sends = append(sends, time.Now())
		return busy
	}, func(error) (bool, error) { return true, nil })
	if !errors.Is(err, busy) || len(sends) != 4 {
		t.Fatalf("Repeat = %v after %d sends; want the last 503 after 1+MaxRetries = 4 sends", err, len(sends))
	}
	for attempt, want := range []time.Duration{20 * time.Millisecond, 40 * time.Millisecond, 40 * time.Millisecond} {
		if took := sends[attempt+1].Sub(sends[attempt]); took < want || took > want+200*time.Millisecond {
			t.Errorf("attempt %d waited %v, want about %v", attempt, took, want)
		}
	}
	ctx, cancel := context.WithCancel(ctxT(t))
	cancel()
	if err := c.waitBeforeRepeat(ctx, 0); err == nil {
		t.Error("waitBeforeRepeat on an ended context returned nil")
	}
}

// TestRepeatAsksTheNode: a final answer is never repeated, and after a
// transient one the look decides: its outcome stands when it says not to
// send again.
func TestRepeatAsksTheNode(t *testing.T) {
	c := newTestClient(t, func(c *Config) { c.MaxRetries, c.RetryWaitMin, c.RetryWaitMax = 3, time.Millisecond, time.Millisecond })
	sends := 0
	refused := &APIError{StatusCode: 500}
	err := c.Repeat(ctxT(t), func() error { sends++; return refused }, func(error) (bool, error) {
		t.Error("look called after a final answer")
		return true, nil
	})
	if !errors.Is(err, refused) || sends != 1 {
		t.Errorf("after a 500: Repeat = %v after %d sends; want the 500 after one send", err, sends)
	}
	sends = 0
	err = c.Repeat(ctxT(t), func() error { sends++; return &TransportError{Err: errors.New("connection reset")} },
		func(error) (bool, error) { return false, nil })
	if err != nil || sends != 1 {
		t.Errorf("look found the request took effect: Repeat = %v after %d sends; want nil after one send", err, sends)
	}
}
