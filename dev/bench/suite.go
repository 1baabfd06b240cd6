package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/gwops/terraform-provider-apigw/dev/tfharness"
	"github.com/gwops/terraform-provider-apigw/internal/rollout"
)

// Sections a run can select.
const (
	SectionRollout   = "rollout"
	SectionPlan      = "plan"
	SectionFootprint = "footprint"
	SectionLoad      = "load"
	SectionPrepare   = "prepare"
)

// AllSections is the default selection, in print order.
var AllSections = []string{SectionRollout, SectionLoad, SectionPrepare, SectionPlan, SectionFootprint}

// Options select what a Run measures. Zero durations mean the issues'
// figures: D = R = 1s, poll_interval 100ms, 50ms admin latency for plans,
// a fix that downloads in P = 2s and installs in I = 0.5s.
type Options struct {
	Sections []string // nil: all
	// Quick keeps the smallest rows (rollouts of 3 and 10 nodes, plans of
	// 3 and 50, a 10-node footprint): a smoke test, not figures to publish.
	Quick        bool
	Timing       Timing
	Staged       StagedTiming
	PlanLatency  time.Duration
	PlanRuns     int    // plans per size, the median is printed; default 3
	Terraform    string // CLI path; "" finds one (tfharness.FindTerraform)
	Out          io.Writer
	Progress     io.Writer // one line per measurement started; nil is silent
	WorkDir      string    // "" uses a temporary directory, removed at the end
	RolloutCases []RolloutCase
	PlanSizes    []int
	PrepareCases []PrepareCase
	Footprint    RolloutCase
}

func (o *Options) fill() {
	if o.Sections == nil {
		o.Sections = AllSections
	}
	if o.Timing.Drain == 0 {
		o.Timing.Drain = time.Second
	}
	if o.Timing.Restart == 0 {
		o.Timing.Restart = time.Second
	}
	if o.Timing.Poll == 0 {
		o.Timing.Poll = 100 * time.Millisecond
	}
	if o.Staged.Download == 0 {
		o.Staged.Download = 2 * time.Second
	}
	if o.Staged.Install == 0 {
		o.Staged.Install = 500 * time.Millisecond
	}
	switch {
	case o.PrepareCases != nil:
	case o.Quick:
		o.PrepareCases = []PrepareCase{{3, rollout.DefaultPrepareParallelism}}
	default:
		o.PrepareCases = []PrepareCase{{3, rollout.DefaultPrepareParallelism}, {10, rollout.DefaultPrepareParallelism}}
	}
	if o.PlanLatency == 0 {
		o.PlanLatency = 50 * time.Millisecond
	}
	if o.PlanRuns <= 0 {
		o.PlanRuns = 3
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	switch {
	case o.RolloutCases != nil:
	case o.Quick:
		o.RolloutCases = []RolloutCase{{3, 1}, {10, 1}}
	default:
		o.RolloutCases = []RolloutCase{{3, 1}, {10, 1}, {50, 1}, {50, 5}, {50, 10}, {200, 5}, {200, 10}}
	}
	switch {
	case o.PlanSizes != nil:
	case o.Quick:
		o.PlanSizes = []int{3, 50}
	default:
		o.PlanSizes = []int{3, 50, 200}
	}
	if o.Footprint.Nodes == 0 {
		o.Footprint = RolloutCase{Nodes: 200, MaxUnavailable: 10}
		if o.Quick {
			o.Footprint = RolloutCase{Nodes: 10, MaxUnavailable: 5}
		}
	}
}

func (o *Options) has(section string) bool { return slices.Contains(o.Sections, section) }

// runRolloutSections runs the rollout cases once for the rollout and load
// sections, which read the same runs.
func (o *Options) runRolloutSections(ctx context.Context, tools tools, progress func(string)) error {
	if !o.has(SectionRollout) && !o.has(SectionLoad) {
		return nil
	}
	var results []RolloutResult
	for _, rc := range o.RolloutCases {
		progress(fmt.Sprintf("rollout: N=%d max_unavailable=%d", rc.Nodes, rc.MaxUnavailable))
		r, err := runRollout(ctx, tools, o.Timing, rc)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	if o.has(SectionRollout) {
		rolloutTable(results, o.Timing).print(o.Out)
		breakdownTable(results, o.Timing).print(o.Out)
	}
	if o.has(SectionLoad) {
		loadTable(results, o.Timing).print(o.Out)
	}
	return nil
}

// runPrepareSection runs every prepare case without and with
// prepare_command.
func (o *Options) runPrepareSection(ctx context.Context, tools tools, work string, progress func(string)) error {
	if !o.has(SectionPrepare) {
		return nil
	}
	var results []PrepareResult
	for _, pc := range o.PrepareCases {
		for _, prepare := range []bool{false, true} {
			progress(fmt.Sprintf("prepare: N=%d, prepare_command %v (parallelism %d)", pc.Nodes, prepare, pc.Parallelism))
			r, err := runPrepare(ctx, tools, work, o.Timing, o.Staged, pc, prepare)
			if err != nil {
				return err
			}
			results = append(results, r)
		}
	}
	prepareTable(results, o.Timing, o.Staged).print(o.Out)
	return nil
}

// Run measures the selected sections and prints a table for each. It
// returns an error only when a measurement could not be made (a rollout
// failed, terraform is missing); figures never fail it.
func Run(ctx context.Context, o Options) error {
	o.fill()
	for _, s := range o.Sections {
		if !slices.Contains(AllSections, s) {
			return fmt.Errorf("unknown section %q (have %v)", s, AllSections)
		}
	}
	work := o.WorkDir
	if work == "" {
		tmp, err := os.MkdirTemp("", "apigw-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		work = tmp
	}
	needTF := o.has(SectionPlan) || o.has(SectionFootprint)
	tf := tfharness.FindTerraform(o.Terraform)
	if needTF && tf == "" {
		return fmt.Errorf("the plan and footprint sections need the Terraform CLI: pass -terraform or set TF_ACC_TERRAFORM_PATH (make bench does)")
	}
	progress := func(msg string) { fmt.Fprintf(o.Progress, "%s  %s\n", time.Now().Format("15:04:05"), msg) }
	progress("building gwsim and the provider")
	bin, err := tfharness.Build(ctx, work)
	if err != nil {
		return err
	}
	tools := tools{Binaries: bin, terraform: tf}

	if err := o.runRolloutSections(ctx, tools, progress); err != nil {
		return err
	}
	if err := o.runPrepareSection(ctx, tools, work, progress); err != nil {
		return err
	}
	if o.has(SectionPlan) {
		plans, err := runPlans(ctx, tools, work, o.PlanSizes, o.PlanLatency, o.PlanRuns, progress)
		if err != nil {
			return err
		}
		planTable(plans, o.PlanLatency).print(o.Out)
	}
	if o.has(SectionFootprint) {
		fc := o.Footprint
		progress(fmt.Sprintf("footprint: terraform apply, N=%d max_unavailable=%d", fc.Nodes, fc.MaxUnavailable))
		f, err := runFootprint(ctx, tools, work, o.Timing, fc)
		if err != nil {
			return err
		}
		footprintTable(f, o.Timing).print(o.Out)
	}
	return nil
}
