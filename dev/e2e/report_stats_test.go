package e2e

import (
	"testing"
	"time"
)

// TestSummarize: windows select samples by start time, failures are
// grouped by reason and percentiles use the nearest rank.
func TestSummarize(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var samples []sample
	for i := range 100 {
		s := sample{Start: t0.Add(time.Duration(i) * 10 * time.Millisecond), Latency: time.Duration(i+1) * time.Millisecond, Status: 200}
		if i%25 == 0 {
			s.Status, s.Failure = 503, "HTTP 503"
		}
		samples = append(samples, s)
	}
	all := summarize(samples, t0, t0.Add(time.Second))
	if all.Requests != 100 || all.Failed != 4 || all.Reasons["HTTP 503"] != 4 {
		t.Errorf("whole window: %+v", all)
	}
	if all.P50 != 50*time.Millisecond || all.P99 != 99*time.Millisecond || all.Max != 100*time.Millisecond {
		t.Errorf("p50 %v p99 %v max %v, want 50ms 99ms 100ms", all.P50, all.P99, all.Max)
	}
	if all.Rate != 100 {
		t.Errorf("rate %v, want 100/s", all.Rate)
	}
	half := summarize(samples, t0.Add(500*time.Millisecond), t0.Add(time.Second))
	if half.Requests != 50 || half.Failed != 2 {
		t.Errorf("second half: %d requests, %d failed; want 50 and 2", half.Requests, half.Failed)
	}
	if empty := summarize(samples, t0.Add(time.Hour), t0.Add(2*time.Hour)); empty.Requests != 0 || empty.P99 != 0 {
		t.Errorf("empty window: %+v", empty)
	}
	if got := percentile([]time.Duration{7 * time.Millisecond}, 99); got != 7*time.Millisecond {
		t.Errorf("percentile of one sample = %v", got)
	}
}
