// Command apigw-bench prints performance figures of the provider against the
// simulated gateway on loopback (make bench): rollout overhead against the
// physical limit, the load on the nodes, terraform plan time and the
// provider process's footprint. It prints figures and never judges them:
// they depend on the machine.
//
//	apigw-bench [-sections rollout,load,prepare,plan,footprint] [-quick] [-rollouts 200/10,...] [-prepares 3/4,...] [-plans 3,200] [-terraform PATH]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"github.com/gwops/terraform-provider-apigw/dev/bench"
)

func main() {
	var (
		o        bench.Options
		sections string
	)
	flag.StringVar(&sections, "sections", strings.Join(bench.AllSections, ","), "comma-separated sections to run")
	flag.BoolVar(&o.Quick, "quick", false, "smoke test: rollouts of 3 and 10 nodes, plans of 3 and 50, a 10-node footprint")
	flag.StringVar(&o.Terraform, "terraform", "", "Terraform CLI (default $TF_ACC_TERRAFORM_PATH, then PATH, then ~/go/bin/terraform)")
	flag.DurationVar(&o.Timing.Drain, "drain", 0, "simulated drain time D (default 1s)")
	flag.DurationVar(&o.Timing.Restart, "restart", 0, "simulated restart time R (default 1s)")
	flag.DurationVar(&o.Timing.Poll, "poll", 0, "poll_interval (default 100ms)")
	flag.DurationVar(&o.Staged.Download, "download", 0, "simulated download time P of the fix, prepare section (default 2s)")
	flag.DurationVar(&o.Staged.Install, "install", 0, "simulated install time I of the fix, prepare section (default 500ms)")
	flag.Func("prepares", "prepare rows as N/prepare_parallelism pairs, e.g. 3/4,10/4 (default: those)", func(s string) (err error) {
		o.PrepareCases, err = bench.ParsePrepareCases(s)
		return err
	})
	flag.DurationVar(&o.PlanLatency, "plan-latency", 0, "latency of every admin call in the plan section (default 50ms)")
	flag.IntVar(&o.PlanRuns, "plan-runs", 0, "plans per size; the median is printed (default 3)")
	flag.Func("rollouts", "rollout rows as N/k pairs, e.g. 200/10,50/5 (default: the issue's rows)", func(s string) (err error) {
		o.RolloutCases, err = bench.ParseRolloutCases(s)
		return err
	})
	flag.Func("plans", "plan sizes, e.g. 3,200 (default 3,50,200)", func(s string) error {
		o.PlanSizes = nil
		for _, f := range strings.Split(s, ",") {
			if f == "" {
				continue
			}
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				return fmt.Errorf("%q is not a node count", f)
			}
			o.PlanSizes = append(o.PlanSizes, n)
		}
		return nil
	})
	flag.StringVar(&o.WorkDir, "work", "", "directory for binaries and Terraform working directories (default: a temporary one)")
	flag.Parse()
	o.Sections = strings.Split(sections, ",")
	o.Progress = os.Stderr

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := bench.Run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "apigw-bench:", err)
		os.Exit(1)
	}
}
