package e2e

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// windowStats summarizes the requests started within one time window.
type windowStats struct {
	Requests int
	Failed   int
	P50      time.Duration
	P99      time.Duration
	Max      time.Duration
	Rate     float64        // requests per second over the window
	Reasons  map[string]int // failure description → count
}

// summarize computes windowStats for the samples that started in
// [from, to).
func summarize(samples []sample, from, to time.Time) windowStats {
	w := windowStats{Reasons: map[string]int{}}
	var lat []time.Duration
	for _, s := range samples {
		if s.Start.Before(from) || !s.Start.Before(to) {
			continue
		}
		w.Requests++
		lat = append(lat, s.Latency)
		if s.Failure != "" {
			w.Failed++
			w.Reasons[s.Failure]++
		}
	}
	slices.Sort(lat)
	w.P50 = percentile(lat, 50)
	w.P99 = percentile(lat, 99)
	if len(lat) > 0 {
		w.Max = lat[len(lat)-1]
	}
	if d := to.Sub(from).Seconds(); d > 0 {
		w.Rate = float64(w.Requests) / d
	}
	return w
}

// percentile is the nearest-rank percentile of sorted durations (0 when
// there are none).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

// runReport is what one upgrade run measured.
type runReport struct {
	Name            string
	Baseline        windowStats
	During          windowStats
	ApplyTime       time.Duration // terraform apply, plan and init included
	Retries         int64         // HAProxy wretr over the whole run
	Redispatches    int64         // HAProxy wredis over the whole run
	MetricsLost     int64         // requests whose metrics never reached the store
	MaxOutOfService int
	Versions        map[string]string
	Completed       bool
}

// formatMs prints a duration in milliseconds with one decimal.
func formatMs(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// printSummary writes the comparison table of the runs.
func printSummary(w io.Writer, header string, runs []*runReport) {
	fmt.Fprintf(w, "\n%s\n\n", header)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\twindow\trequests\treq/s\tfailed\tp50\tp99\tmax\t")
	for _, r := range runs {
		for _, win := range []struct {
			name string
			s    windowStats
		}{{"before upgrade", r.Baseline}, {"during upgrade", r.During}} {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%d\t%s\t%s\t%s\t\n", r.Name, win.name, win.s.Requests, win.s.Rate,
				win.s.Failed, formatMs(win.s.P50), formatMs(win.s.P99), formatMs(win.s.Max))
		}
	}
	_ = tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\tapply\tHAProxy retries\tredispatches\tmetrics lost\tmax nodes out\tcompleted\t")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%.1f s\t%d\t%d\t%d\t%d\t%v\t\n", r.Name, r.ApplyTime.Seconds(), r.Retries, r.Redispatches,
			r.MetricsLost, r.MaxOutOfService, r.Completed)
	}
	_ = tw.Flush()
	for _, r := range runs {
		if len(r.During.Reasons)+len(r.Baseline.Reasons) > 0 {
			fmt.Fprintf(w, "\n%s failures: before %s; during %s\n", r.Name, reasons(r.Baseline.Reasons), reasons(r.During.Reasons))
		}
	}
	fmt.Fprintln(w)
}

// reasons renders failure counts, most frequent first.
func reasons(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := slices.Collect(maps.Keys(m))
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d× %s", m[k], k)
	}
	return strings.Join(parts, ", ")
}
