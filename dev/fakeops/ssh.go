//go:build unix

package fakeops

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"slices"
	"strings"
)

// sshFlagsWithValue are the OpenSSH client options that take a value.
var sshFlagsWithValue = []string{"-o", "-i", "-p", "-l", "-F", "-J", "-E", "-c", "-b", "-L", "-R", "-D", "-m", "-S", "-W", "-w", "-Q", "-O", "-e", "-B", "-I"}

// ssh runs a remote command on a host of the world: on a gateway host the
// service and Update Manager commands of the systemd example, elsewhere the
// command itself, on the local machine, with ssh's stdin and stdout.
func ssh(s *session) error {
	args := s.args
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		flag := args[0]
		args = args[1:]
		if slices.Contains(sshFlagsWithValue, flag) {
			if len(args) == 0 {
				return fail(255, "option requires an argument -- %s", strings.TrimPrefix(flag, "-"))
			}
			args = args[1:]
		}
	}
	if len(args) == 0 {
		return fail(255, "usage: ssh destination [command [argument ...]]")
	}
	dest := strings.TrimPrefix(args[0], "ssh://")
	if _, after, ok := strings.Cut(dest, "@"); ok {
		dest = after
	}
	host, _, _ := strings.Cut(dest, ":")
	h, ok := s.world.SSHHosts[host]
	if !ok {
		return fail(255, "ssh: Could not resolve hostname %s: Name or service not known", host)
	}
	command := strings.Join(args[1:], " ")
	if command == "" {
		return fail(255, "fake ssh: no remote command (an interactive session is not simulated)")
	}
	if h.Node == "" {
		s.afterUnlock = func() int { return s.local(command) }
		return nil
	}
	return h.run(s, command)
}

// local runs the remote command of a host that stands for the local
// machine, as sshd would run it: with the user's shell.
func (s *session) local(command string) int {
	cmd := exec.CommandContext(context.Background(), "sh", "-c", command)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = s.stdin, s.stdout, s.stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		fmt.Fprintf(s.stderr, "fake ssh: %v\n", err)
		return 255
	}
	return 0
}

// run is a gateway host's answer to a remote command.
func (h *SSHHost) run(s *session, command string) error {
	w := strings.Fields(command)
	if len(w) > 0 && w[0] == "sudo" {
		w = w[1:]
	}
	switch {
	case len(w) == 3 && w[0] == "systemctl" && w[2] == "apigateway":
		return h.systemctl(s, w[1])
	case len(w) == 3 && path.Base(w[0]) == "UpdateManagerCMD.sh" && w[1] == "-readScript":
		return h.updateManager(s, w[2])
	case len(w) == 3 && w[0] == "test" && w[1] == "-s":
		if !slices.Contains(h.Files, w[2]) {
			return fail(1, "")
		}
		return nil
	case len(w) == 3 && w[0] == "mv":
		if !slices.Contains(h.Files, w[1]) {
			return fail(1, "mv: cannot stat '%s': No such file or directory", w[1])
		}
		h.Files = slices.DeleteFunc(h.Files, func(f string) bool { return f == w[1] || f == w[2] })
		h.Files = append(h.Files, w[2])
		return nil
	}
	return fail(127, "fake ssh: %q is not simulated on a gateway host", command)
}

func (h *SSHHost) systemctl(s *session, verb string) error {
	switch verb {
	case "stop":
		if h.Stopped {
			return nil
		}
		h.Stopped = true
		return s.stop(h.Node)
	case "start", "restart":
		if !h.Stopped && verb == "start" {
			return nil
		}
		h.Stopped = false
		return s.start(h.Node, h.Installed, false)
	case "is-active":
		if h.Stopped {
			fmt.Fprintln(s.stdout, "inactive")
			return fail(3, "")
		}
		fmt.Fprintln(s.stdout, "active")
		return nil
	}
	return fail(1, "fake ssh: systemctl %s is not simulated", verb)
}

// updateManager installs apigw-<V>.script or uninstalls
// uninstall-apigw-<V>.script, which must have been copied onto the host
// (with apigw-<V>.zip to install); like the real one it refuses to change
// a product that is running.
func (h *SSHHost) updateManager(s *session, scriptPath string) error {
	if !h.Stopped {
		return fail(1, "Update Manager: the product is running; stop it before installing or uninstalling fixes")
	}
	if !slices.Contains(h.Files, scriptPath) {
		return fail(1, "Update Manager: cannot read script %s: no such file", scriptPath)
	}
	script := path.Base(scriptPath)
	if v, ok := strings.CutPrefix(script, "uninstall-apigw-"); ok {
		v = strings.TrimSuffix(v, ".script")
		if h.Installed != v || len(h.Previous) == 0 {
			fmt.Fprintf(s.stdout, "Update Manager: fix %s is not installed; nothing to uninstall\n", v)
			return nil
		}
		h.Installed, h.Previous = h.Previous[len(h.Previous)-1], h.Previous[:len(h.Previous)-1]
		fmt.Fprintf(s.stdout, "Update Manager: uninstalled %s, back on %s\n", v, h.Installed)
		return nil
	}
	if v, ok := strings.CutPrefix(script, "apigw-"); ok {
		v = strings.TrimSuffix(v, ".script")
		if image := path.Join(path.Dir(scriptPath), "apigw-"+v+".zip"); !slices.Contains(h.Files, image) {
			return fail(1, "Update Manager: the script installs from %s, which does not exist", image)
		}
		if h.Installed != v {
			h.Previous = append(h.Previous, h.Installed)
			h.Installed = v
		}
		fmt.Fprintf(s.stdout, "Update Manager: installed %s\n", v)
		return nil
	}
	return fail(1, "Update Manager: no such script %s", script)
}

// scp copies local files onto a host of the world: "scp [options] FILE...
// [user@]host:PATH". The local files must exist.
func scp(s *session) error {
	var operands []string
	for i := 0; i < len(s.args); i++ {
		a := s.args[i]
		switch {
		case slices.Contains([]string{"-o", "-i", "-P", "-S", "-F", "-J", "-l", "-c"}, a):
			i++
		case strings.HasPrefix(a, "-"):
		default:
			operands = append(operands, a)
		}
	}
	if len(operands) < 2 {
		return fail(1, "usage: scp [options] source ... target")
	}
	dest := operands[len(operands)-1]
	if _, after, ok := strings.Cut(dest, "@"); ok {
		dest = after
	}
	host, remote, ok := strings.Cut(dest, ":")
	if !ok {
		return fail(1, "fake scp: only copies to a remote host are simulated, not to %s", dest)
	}
	h, known := s.world.SSHHosts[host]
	if !known {
		return fail(255, "ssh: Could not resolve hostname %s: Name or service not known", host)
	}
	for _, src := range operands[:len(operands)-1] {
		if st, err := os.Stat(src); err != nil || !st.Mode().IsRegular() {
			return fail(1, "scp: %s: No such file or directory", src)
		}
		to := remote
		if strings.HasSuffix(to, "/") {
			to += path.Base(src)
		}
		if !slices.Contains(h.Files, to) {
			h.Files = append(h.Files, to)
		}
	}
	return nil
}
