package bench

import (
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/gwops/terraform-provider-apigw/dev/tfharness"
)

// usage is what one terraform run cost: terraform's own CPU and its
// provider processes', each without their children (the rusage wait4
// returns for terraform would include the providers and the upgrade
// commands they ran), both sampled from /proc.
type usage struct {
	wall, terraformCPU time.Duration
	providers          int
	providerCPU        time.Duration
	providerPeakRSS    int64
}

// runSampled runs cmd (a terraform command) to the end, sampling the
// provider processes it starts every sampleEvery. CPU and VmHWM only grow,
// so the last sample of each process is its largest.
func runSampled(cmd *exec.Cmd) (usage, error) {
	var u usage
	out := &tailWriter{max: 3000}
	cmd.Stdout, cmd.Stderr = out, out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return u, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	seen := map[int]tfharness.Process{}
	var self tfharness.Process
	tick := time.NewTicker(sampleEvery)
	defer tick.Stop()
	var err error
	for waiting := true; waiting; {
		select {
		case err = <-done:
			waiting = false
		case <-tick.C:
			if p, ok := tfharness.ReadProcess(cmd.Process.Pid); ok {
				self = p
			}
			for _, p := range tfharness.Children(cmd.Process.Pid, tfharness.ProviderBinary) {
				seen[p.PID] = p
			}
		}
	}
	u.wall = time.Since(start)
	if err != nil {
		return u, fmt.Errorf("terraform %s: %w\n%s", strings.Join(cmd.Args[1:], " "), err, out.String())
	}
	u.terraformCPU = self.CPU
	for _, p := range seen {
		u.providers++
		u.providerPeakRSS = max(u.providerPeakRSS, p.PeakRSS)
		u.providerCPU += p.CPU
	}
	return u, nil
}

// sampleEvery bounds what the sampling misses: the CPU a provider process
// spends after its last sample, at most this long.
const sampleEvery = 20 * time.Millisecond

// tailWriter keeps the end of a command's output for error messages.
type tailWriter struct {
	max int
	b   []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	if len(w.b) > w.max {
		w.b = w.b[len(w.b)-w.max:]
	}
	return len(p), nil
}

func (w *tailWriter) String() string { return string(w.b) }
