//go:build unix

package provider

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup makes cmd lead a process group of its own, so that
// killTree(cmd's pid) also kills what it starts (the provider).
func ownProcessGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// killTree kills the process group led by pid.
func killTree(pid int) error { return syscall.Kill(-pid, syscall.SIGKILL) }
