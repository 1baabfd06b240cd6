//go:build unix

package rollout

import (
	"errors"
	"os"
	"syscall"
)

// processTree is a command's process group: the command leads a new group,
// and whatever it starts stays in it unless it leaves on purpose (setsid, a
// daemon's double fork). Being outside the terminal's foreground group also
// keeps a Ctrl-C in Terraform's terminal from reaching the command: the
// provider decides what an interrupt does to it (on_interrupt).
type processTree struct{}

func newProcessTree() (*processTree, error) { return &processTree{}, nil }

func (*processTree) sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// attach has nothing to do: the group exists from the fork.
func (*processTree) attach(*os.Process) error { return nil }

// stop asks the whole group to end (SIGTERM); kill ends it (SIGKILL).
func (*processTree) stop(p *os.Process) error { return signalGroup(p.Pid, syscall.SIGTERM) }
func (*processTree) kill(p *os.Process)       { _ = signalGroup(p.Pid, syscall.SIGKILL) }

// release leaves alone what the command left running: a start script's
// daemon is the node just started.
func (*processTree) release() {}

// signalGroup signals the process group led by pid.
func signalGroup(pid int, sig syscall.Signal) error {
	err := syscall.Kill(-pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}
