package bench

import (
	"bytes"
	"os"
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
