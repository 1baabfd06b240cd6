package bench

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gwops/terraform-provider-apigw/dev/tfharness"
)

// Short timings: the tests check that the figures are computed, never what
// they are, so a slow or shared machine cannot fail them.
var testTiming = Timing{Drain: 100 * time.Millisecond, Restart: 100 * time.Millisecond, Poll: 50 * time.Millisecond}

func TestRunRolloutAndLoadSections(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gwsim and the provider and runs real rollouts")
	}
	var out bytes.Buffer
	err := Run(context.Background(), Options{
		Sections:     []string{SectionRollout, SectionLoad},
		Timing:       testTiming,
		RolloutCases: []RolloutCase{{Nodes: 3, MaxUnavailable: 1}, {Nodes: 4, MaxUnavailable: 2}},
		Out:          &out,
		WorkDir:      t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Rollout overhead", "Where the overhead goes", "Load on the gateway"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRunRolloutFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gwsim and runs a real rollout")
	}
	bin, err := tfharness.Build(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tools := tools{Binaries: bin}
	r, err := runRollout(context.Background(), tools, testTiming, RolloutCase{Nodes: 3, MaxUnavailable: 2})
	if err != nil {
		t.Fatal(err) // includes "upgraded n of 3 nodes"
	}
	switch {
	case len(r.Drain) != 3 || len(r.Ready) != 3 || len(r.steps) != 3:
		t.Errorf("detection delays for %d/%d nodes, steps %d; want 3 each", len(r.Drain), len(r.Ready), len(r.steps))
	case r.Total <= 0 || r.Limit <= 0 || r.Command <= 0:
		t.Errorf("total %v, limit %v, command %v: all must be measured", r.Total, r.Limit, r.Command)
	case r.HealthCalls == 0 || r.AdminCalls == 0:
		t.Errorf("calls not counted: health %d, admin %d", r.HealthCalls, r.AdminCalls)
	case r.polls.waits != 6 || r.polls.perWait == 0:
		t.Errorf("poll stats %+v: want 6 waits with polls", r.polls)
	}
}

// TestRunTerraformSections runs the plan and footprint sections on tiny
// clusters when the acceptance-test environment provides Terraform.
func TestRunTerraformSections(t *testing.T) {
	tf := tfharness.FindTerraform("")
	if os.Getenv("TF_ACC") == "" || tf == "" {
		t.Skip("set TF_ACC=1 and provide the Terraform CLI (make test does)")
	}
	var out bytes.Buffer
	err := Run(context.Background(), Options{
		Sections:    []string{SectionPlan, SectionFootprint},
		Timing:      testTiming,
		PlanSizes:   []int{1, 2},
		PlanRuns:    1,
		PlanLatency: 5 * time.Millisecond,
		Footprint:   RolloutCase{Nodes: 2, MaxUnavailable: 1},
		Terraform:   tf,
		Out:         &out,
		WorkDir:     t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"terraform plan", "2/1 nodes wall-time ratio", "Provider processes during terraform apply", "MiB"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	// The titles print even when every figure is zero: measure one plan
	// directly and check that its figures were taken.
	bin, err := tfharness.Build(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tools := tools{Binaries: bin, terraform: tf}
	plans, err := runPlans(context.Background(), tools, t.TempDir(), []int{2}, 5*time.Millisecond, 1, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	if p := plans[0]; p.Wall <= 0 || p.AdminPerNode == 0 || p.HealthPerNode == 0 || p.TerraformCPU <= 0 {
		t.Errorf("plan figures %+v: wall, calls per node and Terraform's CPU must be measured", p)
	}
}

func TestPollWindows(t *testing.T) {
	base := time.Unix(0, 0)
	at := func(msec ...int) []time.Time {
		var ts []time.Time
		for _, m := range msec {
			ts = append(ts, base.Add(time.Duration(m)*time.Millisecond))
		}
		return ts
	}
	ts := at(0, 10, 20, 120, 220, 320)
	if got := maxInWindow(ts, 100*time.Millisecond); got != 3 {
		t.Errorf("maxInWindow = %d, want 3 (0, 10, 20)", got)
	}
	if got := maxInWindow(at(0, 100, 200), 100*time.Millisecond); got != 1 {
		t.Errorf("maxInWindow of polls exactly one interval apart = %d, want 1", got)
	}
	if got := countFast(ts, 100*time.Millisecond); got != 2 {
		t.Errorf("countFast = %d, want 2", got)
	}
	if got := withoutBurst(at(0, 100, 200, 210, 220, 230, 330, 340, 440), 100*time.Millisecond); maxInWindow(got, 100*time.Millisecond) != 2 || len(got) != 6 {
		t.Errorf("withoutBurst = %v, want the 210-230 run gone and the shorter 330-340 run kept", got)
	}
	if got := withoutBurst(nil, time.Second); len(got) != 0 {
		t.Errorf("withoutBurst(nil) = %v", got)
	}
	if got := within(at(300, 0, 150), base.Add(100*time.Millisecond), base.Add(300*time.Millisecond)); len(got) != 2 || !got[0].Before(got[1]) {
		t.Errorf("within = %v, want 150 and 300 in order", got)
	}
}

func TestUnknownSection(t *testing.T) {
	if err := Run(context.Background(), Options{Sections: []string{"speed"}}); err == nil || !strings.Contains(err.Error(), "unknown section") {
		t.Fatalf("Run with an unknown section: %v", err)
	}
}

// TestRunPrepareFigures rolls the same cluster with and without
// prepare_command and checks the figures: the physical limits follow from
// the timings, nothing beats them, and staging the download takes it out of
// every node's time out of service.
func TestRunPrepareFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gwsim and runs real rollouts")
	}
	work := t.TempDir()
	bin, err := tfharness.Build(context.Background(), work)
	if err != nil {
		t.Fatal(err)
	}
	tools := tools{Binaries: bin}
	st := StagedTiming{Download: 400 * time.Millisecond, Install: 100 * time.Millisecond}
	pc := PrepareCase{Nodes: 3, Parallelism: 2}
	var rs []PrepareResult
	for _, prepare := range []bool{false, true} {
		r, err := runPrepare(context.Background(), tools, work, testTiming, st, pc, prepare)
		if err != nil {
			t.Fatal(err) // includes "upgraded n of 3 nodes"
		}
		rs = append(rs, r)
	}
	without, with := rs[0], rs[1]
	// D+I+R = 300ms; P·ceil(3/2) = 800ms.
	if without.NodeLimit != 700*time.Millisecond || without.Limit != 2100*time.Millisecond ||
		with.NodeLimit != 300*time.Millisecond || with.Limit != 1700*time.Millisecond {
		t.Errorf("limits without %s/%s, with %s/%s; want 700ms/2.1s and 300ms/1.7s", without.NodeLimit, without.Limit, with.NodeLimit, with.Limit)
	}
	for _, r := range rs {
		if len(r.OutOfService) != 3 {
			t.Fatalf("out of service measured for %d nodes, want 3", len(r.OutOfService))
		}
		if r.Total < r.Limit*99/100 {
			t.Errorf("prepare %v: total %s beats the physical limit %s: a figure is wrong", r.Prepare, r.Total, r.Limit)
		}
		for _, d := range r.OutOfService {
			if d < r.NodeLimit*99/100 {
				t.Errorf("prepare %v: a node was out of service %s, less than its floor %s", r.Prepare, d, r.NodeLimit)
			}
		}
	}
	if m, w := median(with.OutOfService), median(without.OutOfService); m+st.Download/2 > w {
		t.Errorf("out of service with prepare_command %s, without %s: the download (%s) is still inside", m, w, st.Download)
	}
	var out bytes.Buffer
	prepareTable(rs, testTiming, st).print(&out)
	for _, want := range []string{"2.10 s", "1.70 s", "0.70 s", "0.30 s", "2 at a time"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, out.String())
		}
	}
}
