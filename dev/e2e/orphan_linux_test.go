package e2e

import (
	"os/exec"
	"syscall"
)

// dieWithTest makes the kernel kill the child when the test process dies
// without running its cleanups (a go test -timeout panic, a kill), so no
// HAProxy outlives the test holding its port.
func dieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
