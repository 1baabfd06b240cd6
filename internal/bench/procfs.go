package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is USER_HZ, the unit of utime and stime in /proc/<pid>/stat;
// it is 100 on every Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// procSample is what /proc says about one process right now.
type procSample struct {
	pid  int
	ppid int
	comm string
	cpu  time.Duration // utime + stime
	hwm  int64         // VmHWM, peak resident set, bytes
}

// readProc reads /proc/<pid>/stat and status; ok is false when the process
// is gone.
func readProc(pid int) (procSample, bool) {
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return procSample{}, false
	}
	// comm is in parentheses and may hold spaces; fields follow the last ')'.
	open, end := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
	if open < 0 || end < open {
		return procSample{}, false
	}
	f := strings.Fields(string(stat[end+1:]))
	if len(f) < 13 {
		return procSample{}, false
	}
	s := procSample{pid: pid, comm: string(stat[open+1 : end])}
	s.ppid, _ = strconv.Atoi(f[1])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	s.cpu = time.Duration(ut+st) * clockTick
	if status, err := os.ReadFile(filepath.Join(dir, "status")); err == nil {
		for _, line := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				s.hwm = kb << 10
			}
		}
	}
	return s, true
}

// childrenOf lists the live processes whose parent is ppid and whose name
// starts with prefix (comm is cut to 15 bytes).
func childrenOf(ppid int, prefix string) []procSample {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []procSample
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if s, ok := readProc(pid); ok && s.ppid == ppid && strings.HasPrefix(s.comm, prefix) {
			out = append(out, s)
		}
	}
	return out
}

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
	seen := map[int]procSample{}
	var self procSample
	tick := time.NewTicker(sampleEvery)
	defer tick.Stop()
	var err error
	for waiting := true; waiting; {
		select {
		case err = <-done:
			waiting = false
		case <-tick.C:
			if p, ok := readProc(cmd.Process.Pid); ok {
				self = p
			}
			for _, p := range childrenOf(cmd.Process.Pid, "terraform-prov") {
				seen[p.pid] = p
			}
		}
	}
	u.wall = time.Since(start)
	if err != nil {
		return u, fmt.Errorf("terraform %s: %w\n%s", strings.Join(cmd.Args[1:], " "), err, out.String())
	}
	u.terraformCPU = self.cpu
	for _, p := range seen {
		u.providers++
		u.providerPeakRSS = max(u.providerPeakRSS, p.hwm)
		u.providerCPU += p.cpu
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
