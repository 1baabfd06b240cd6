package tfharness

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"
)

// sleepCommand is the path of sleep, the child the tests here find in
// /proc; it skips the test where there is no /proc or no sleep.
func sleepCommand(t *testing.T) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep command")
	}
	return sleep
}

// startSleep starts the sleep binary at path for 30 seconds as a child of
// the test, killed and reaped when the test ends.
func startSleep(t *testing.T, path string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(path, "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

// TestProcessScanner starts a child and finds it as the harnesses do: as a
// child of this process by name, and by its executable; once it is gone,
// neither finds it.
func TestProcessScanner(t *testing.T) {
	sleep := sleepCommand(t)
	cmd := startSleep(t, sleep)
	pid := cmd.Process.Pid

	kids := Children(os.Getpid(), "sleep")
	if !slices.ContainsFunc(kids, func(p Process) bool { return p.PID == pid && p.PPID == os.Getpid() && p.PeakRSS > 0 }) {
		t.Errorf("Children(self, sleep) = %+v; want pid %d with its peak RSS", kids, pid)
	}
	if kids := Children(os.Getpid(), "no-such-command"); len(kids) != 0 {
		t.Errorf("Children found %+v by a name no child has", kids)
	}
	if pids := Running(sleep); !slices.Contains(pids, pid) {
		t.Errorf("Running(%s) = %v, want %d among them", sleep, pids, pid)
	}
	self, ok := ReadProcess(os.Getpid())
	if !ok || self.PID != os.Getpid() || self.PeakRSS == 0 {
		t.Errorf("ReadProcess(self) = %+v, %v", self, ok)
	}

	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for slices.Contains(Running(sleep), pid) {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d still found 10s after it was killed and reaped", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, ok := ReadProcess(pid); ok {
		t.Errorf("ReadProcess found pid %d after it was reaped", pid)
	}
}

// TestChildrenPrefixBeyondCommLen: /proc keeps 15 bytes of a name, so a
// longer name (the provider's binary is terraform-provider-apigw) still
// finds its process.
func TestChildrenPrefixBeyondCommLen(t *testing.T) {
	sleep := sleepCommand(t)
	b, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	long := filepath.Join(t.TempDir(), "sleep-under-a-long-name")
	if err := os.WriteFile(long, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := startSleep(t, long)
	kids := Children(os.Getpid(), filepath.Base(long))
	if len(kids) != 1 || kids[0].PID != cmd.Process.Pid || kids[0].Comm != filepath.Base(long)[:commLen] {
		t.Errorf("Children(self, %q) = %+v, want pid %d named %q", filepath.Base(long), kids, cmd.Process.Pid, filepath.Base(long)[:commLen])
	}
}
