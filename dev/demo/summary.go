package demo

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// printSummary prints the per-node table and the traffic's result.
func printSummary(out io.Writer, r *Result) {
	fmt.Fprintln(out)
	say(out, "Rolling upgrade, node by node")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tFROM\tTO\tOUTCOME\tDRAIN\tCOMMAND\tREADY")
	for _, e := range r.Rollout {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.2fs\t%.2fs\t%.2fs\n", e.Node, e.FromVersion, e.ToVersion, e.Outcome,
			e.DrainSeconds, e.CommandSeconds, e.ReadySeconds)
	}
	tw.Flush()
	fmt.Fprintln(out)
	say(out, "API traffic during the upgrade")
	fmt.Fprintf(out, "requests sent: %d, failed: %d, latency p50 %s, p99 %s\n",
		r.Traffic.Sent, r.Traffic.Failed, r.Traffic.P50.Round(100*time.Microsecond), r.Traffic.P99.Round(100*time.Microsecond))
	fmt.Fprintf(out, "metrics in the shared data store: %d requests flushed by quiesce, %d lost\n", r.Stored, r.Lost)
}
