//go:build windows

package provider

import (
	"os/exec"
	"strconv"
	"syscall"
)

// The acceptance tests that stop Terraform mid-apply read /proc and run on
// Linux; these let the package's tests build (and vet) for Windows.

// ownProcessGroup puts cmd in a new console process group.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}

// killTree kills pid and every process it started.
func killTree(pid int) error {
	return exec.Command("taskkill", "/T", "/F", "/PID", strconv.Itoa(pid)).Run()
}
