package tfharness

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The /proc scanner: what the harnesses ask about the processes a
// terraform run starts (its provider, whether one outlived a kill, what
// they cost). Linux only; elsewhere it finds no process.

// clockTick is USER_HZ, the unit of utime and stime in /proc/<pid>/stat;
// it is 100 on every Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// commLen is how much of a process's name /proc keeps.
const commLen = 15

// Process is what /proc says about one process right now.
type Process struct {
	PID, PPID int
	Comm      string        // the name, cut to 15 bytes
	CPU       time.Duration // utime + stime
	PeakRSS   int64         // VmHWM, peak resident set, bytes; read by ReadProcess and Children
}

// stat reads /proc/<pid>/stat; ok is false when the process is gone.
func stat(pid int) (Process, bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return Process{}, false
	}
	// comm is in parentheses and may hold spaces; fields follow the last ')'.
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return Process{}, false
	}
	f := strings.Fields(string(b[end+1:]))
	if len(f) < 13 {
		return Process{}, false
	}
	p := Process{PID: pid, Comm: string(b[open+1 : end])}
	p.PPID, _ = strconv.Atoi(f[1])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	p.CPU = time.Duration(ut+st) * clockTick
	return p, true
}

// peakRSS reads VmHWM from /proc/<pid>/status; 0 when it cannot.
func peakRSS(pid int) int64 {
	status, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// ReadProcess reads one process; ok is false when it is gone.
func ReadProcess(pid int) (Process, bool) {
	p, ok := stat(pid)
	if ok {
		p.PeakRSS = peakRSS(pid)
	}
	return p, ok
}

// pids lists the processes /proc shows.
func pids() []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

// Children lists the live processes whose parent is ppid and whose name
// starts with prefix (as far as /proc keeps names).
func Children(ppid int, prefix string) []Process {
	prefix = prefix[:min(len(prefix), commLen)]
	var out []Process
	for _, pid := range pids() {
		if p, ok := stat(pid); ok && p.PPID == ppid && strings.HasPrefix(p.Comm, prefix) {
			p.PeakRSS = peakRSS(pid)
			out = append(out, p)
		}
	}
	return out
}

// Running lists the PIDs whose executable is exe. /proc shows the resolved
// path, so exe is resolved too (TMPDIR may be a symlink).
func Running(exe string) []int {
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	var out []int
	for _, pid := range pids() {
		if target, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "exe")); err == nil && target == exe {
			out = append(out, pid)
		}
	}
	return out
}
