//go:build unix

package fakeops

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/template"
)

// docker serves the subcommands the examples use, with the Docker CLI's
// flags and its answers for the cases that matter to a script: a missing
// image or container, a name already in use, a port already allocated.
func docker(s *session) error {
	args := s.args
	host := os.Getenv("DOCKER_HOST")
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch {
		case args[0] == "-H" || args[0] == "--host":
			if len(args) < 2 {
				return fail(125, "flag needs an argument: %s", args[0])
			}
			host, args = args[1], args[2:]
		case strings.HasPrefix(args[0], "--host="):
			host, args = strings.TrimPrefix(args[0], "--host="), args[1:]
		default:
			return fail(125, "unknown flag: %s", args[0])
		}
	}
	if len(args) == 0 {
		return fail(1, "fake docker: no command")
	}
	if args[0] == "login" { // talks to the registry, not to a daemon
		return dockerLogin(s, args[1:])
	}
	if host == "" {
		host = "unix:///var/run/docker.sock"
	}
	h, ok := s.world.DockerHosts[host]
	if !ok {
		return fail(1, "Cannot connect to the Docker daemon at %s. Is the docker daemon running?", host)
	}
	d := &daemon{s: s, h: h}
	cmd, rest := args[0], args[1:]
	if (cmd == "container" || cmd == "image") && len(rest) > 0 {
		cmd, rest = cmd+" "+rest[0], rest[1:]
	}
	switch cmd {
	case "pull", "image pull":
		return d.pull(rest)
	case "image inspect":
		return d.imageInspect(rest)
	case "inspect", "container inspect":
		return d.inspect(rest)
	case "run", "container run":
		return d.run(rest)
	case "stop", "container stop":
		return d.each(rest, []string{"-t", "--time", "-s", "--signal"}, d.stopOne)
	case "start", "container start":
		return d.each(rest, nil, d.startOne)
	case "restart", "container restart":
		return d.each(rest, []string{"-t", "--time", "-s", "--signal"}, d.restartOne)
	case "rm", "container rm":
		return d.rm(rest)
	case "rename", "container rename":
		return d.rename(rest)
	}
	return fail(1, "fake docker: %q is not simulated", cmd)
}

// dockerLogin reads the password from stdin, as --password-stdin asks.
func dockerLogin(s *session, args []string) error {
	if !slices.Contains(args, "--password-stdin") {
		return fail(1, "fake docker: login without --password-stdin would put the password on the command line")
	}
	b := make([]byte, 4096)
	n, _ := s.stdin.Read(b)
	if strings.TrimSpace(string(b[:n])) == "" {
		return fail(1, "Error: Cannot perform an interactive login from a non TTY device")
	}
	fmt.Fprintln(s.stdout, "Login Succeeded")
	return nil
}

type daemon struct {
	s *session
	h *DockerHost
}

func (d *daemon) pull(args []string) error {
	if len(args) != 1 {
		return fail(1, "\"docker pull\" requires exactly 1 argument.")
	}
	if !slices.Contains(d.h.Images, args[0]) {
		d.h.Images = append(d.h.Images, args[0])
	}
	fmt.Fprintf(d.s.stdout, "Status: Downloaded newer image for %s\n%s\n", args[0], args[0])
	return nil
}

func (d *daemon) imageInspect(args []string) error {
	return d.inspectEach(args, func(img string) (any, error) {
		if !slices.Contains(d.h.Images, img) {
			return nil, fail(1, "Error: No such image: %s", img)
		}
		return map[string]any{"RepoTags": []string{img}}, nil
	})
}

// inspectView is the part of `docker container inspect` a script reads.
type inspectView struct {
	Name   string
	Config struct {
		Image  string
		Labels map[string]string
	}
	State struct {
		Status  string
		Running bool
	}
}

func (d *daemon) inspect(args []string) error {
	return d.inspectEach(args, func(name string) (any, error) {
		c, ok := d.h.Containers[name]
		if !ok {
			return nil, fail(1, "Error: No such container: %s", name)
		}
		var v inspectView
		v.Name = "/" + name
		v.Config.Image, v.Config.Labels = c.Image, c.Labels
		v.State.Running, v.State.Status = c.Running, "exited"
		if c.Running {
			v.State.Status = "running"
		}
		return v, nil
	})
}

// inspectEach is docker image inspect and docker container inspect: it
// prints, for every name the arguments give, what view shows of it.
func (d *daemon) inspectEach(args []string, view func(name string) (any, error)) error {
	names, format, err := inspectArgs(args)
	if err != nil {
		return err
	}
	for _, name := range names {
		v, err := view(name)
		if err != nil {
			return err
		}
		if err := printInspect(d.s, format, v); err != nil {
			return err
		}
	}
	return nil
}

func inspectArgs(args []string) (names []string, format string, err error) {
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-f" || a == "--format":
			if i+1 == len(args) {
				return nil, "", fail(125, "flag needs an argument: %s", a)
			}
			format = args[i+1]
			i++
		case strings.HasPrefix(a, "--format="):
			format = strings.TrimPrefix(a, "--format=")
		case strings.HasPrefix(a, "-"):
			return nil, "", fail(125, "unknown flag: %s", a)
		default:
			names = append(names, a)
		}
	}
	if len(names) == 0 {
		return nil, "", fail(1, "\"docker inspect\" requires at least 1 argument.")
	}
	return names, format, nil
}

// printInspect prints v with a Go template, as --format does, or as JSON.
func printInspect(s *session, format string, v any) error {
	if format == "" {
		b, _ := json.MarshalIndent([]any{v}, "", "    ")
		fmt.Fprintln(s.stdout, string(b))
		return nil
	}
	t, err := template.New("format").Parse(format)
	if err != nil {
		return fail(1, "template parsing error: %v", err)
	}
	if err := t.Execute(s.stdout, v); err != nil {
		return fail(1, "template: %v", err)
	}
	fmt.Fprintln(s.stdout)
	return nil
}

// runFlagsWithValue are the `docker run` flags that take a value.
var runFlagsWithValue = []string{"--name", "--network", "--net", "--hostname", "-h", "-p", "--publish", "-v", "--volume",
	"-e", "--env", "--env-file", "--label", "-l", "--restart", "--pull", "--stop-timeout", "--user", "-u", "--mount", "--log-driver", "--log-opt"}

// run creates and starts a container. It is a new container: the node
// comes back with none of the settings it kept only inside the old one.
func (d *daemon) run(args []string) error {
	var name, pull string
	labels := map[string]string{}
	i := 0
	for ; i < len(args) && strings.HasPrefix(args[i], "-"); i++ {
		flag, value, inline := strings.Cut(args[i], "=")
		if !slices.Contains(runFlagsWithValue, flag) {
			if flag == "-d" || flag == "--detach" || flag == "--rm" || flag == "--init" {
				continue
			}
			return fail(125, "unknown flag: %s", flag)
		}
		if !inline {
			if i+1 == len(args) {
				return fail(125, "flag needs an argument: %s", flag)
			}
			i++
			value = args[i]
		}
		switch flag {
		case "--name":
			name = value
		case "--pull":
			pull = value
		case "--label", "-l":
			k, v, _ := strings.Cut(value, "=")
			labels[k] = v
		}
	}
	if i == len(args) {
		return fail(125, "\"docker run\" requires at least 1 argument.")
	}
	image := args[i]
	if name == "" {
		return fail(1, "fake docker: run without --name: the example scripts name their containers")
	}
	if _, ok := d.h.Containers[name]; ok {
		return fail(125, "docker: Error response from daemon: Conflict. The container name \"/%s\" is already in use by container \"%x\". You have to remove (or rename) that container to be able to reuse that name.", name, len(name))
	}
	if !slices.Contains(d.h.Images, image) {
		if pull == "never" {
			return fail(125, "docker: Error response from daemon: No such image: %s.", image)
		}
		fmt.Fprintf(d.s.stderr, "Unable to find image '%s' locally\n", image)
		d.h.Images = append(d.h.Images, image)
	}
	if d.h.Containers == nil {
		d.h.Containers = map[string]*Container{}
	}
	c := &Container{Image: image, Labels: labels}
	d.h.Containers[name] = c // created, even if it cannot start
	if err := d.startOne(name); err != nil {
		return err
	}
	fmt.Fprintf(d.s.stdout, "%064x\n", len(d.h.Containers))
	return nil
}

// each runs f for every container named in args, skipping the flags that
// take a value.
func (d *daemon) each(args, valueFlags []string, f func(string) error) error {
	var names []string
	for i := 0; i < len(args); i++ {
		flag, _, inline := strings.Cut(args[i], "=")
		switch {
		case slices.Contains(valueFlags, flag):
			if !inline {
				i++
			}
		case strings.HasPrefix(flag, "-"):
			return fail(125, "unknown flag: %s", flag)
		default:
			names = append(names, args[i])
		}
	}
	if len(names) == 0 {
		return fail(1, "fake docker: no container named")
	}
	for _, n := range names {
		if err := f(n); err != nil {
			return err
		}
		fmt.Fprintln(d.s.stdout, n)
	}
	return nil
}

func (d *daemon) container(name string) (*Container, error) {
	c, ok := d.h.Containers[name]
	if !ok {
		return nil, fail(1, "Error response from daemon: No such container: %s", name)
	}
	return c, nil
}

func (d *daemon) stopOne(name string) error {
	c, err := d.container(name)
	if err != nil || !c.Running {
		return err
	}
	c.Running = false
	return d.s.stop(d.h.Node)
}

// startOne starts a stopped container: the node comes back on its image,
// with the settings the container kept. Both containers of a node publish
// the same ports, so only one may run.
func (d *daemon) startOne(name string) error {
	c, err := d.container(name)
	if err != nil || c.Running {
		return err
	}
	for other, o := range d.h.Containers {
		if other != name && o.Running {
			return fail(125, "Error response from daemon: driver failed programming external connectivity on endpoint %s: Bind for 0.0.0.0:5555 failed: port is already allocated", name)
		}
	}
	fresh := !c.Started
	c.Running, c.Started = true, true
	return d.s.start(d.h.Node, imageTag(c.Image), fresh)
}

func (d *daemon) restartOne(name string) error {
	c, err := d.container(name)
	if err != nil {
		return err
	}
	if !c.Running {
		return d.startOne(name)
	}
	return d.s.start(d.h.Node, imageTag(c.Image), false)
}

func (d *daemon) rm(args []string) error {
	force := false
	var names []string
	for _, a := range args {
		switch a {
		case "-f", "--force":
			force = true
		default:
			if strings.HasPrefix(a, "-") {
				return fail(125, "unknown flag: %s", a)
			}
			names = append(names, a)
		}
	}
	for _, n := range names {
		c, err := d.container(n)
		if err != nil {
			return err
		}
		if c.Running && !force {
			return fail(1, "Error response from daemon: cannot remove container \"/%s\": container is running: stop the container before removing or force remove", n)
		}
		if c.Running {
			if err := d.s.stop(d.h.Node); err != nil {
				return err
			}
		}
		delete(d.h.Containers, n)
		fmt.Fprintln(d.s.stdout, n)
	}
	return nil
}

func (d *daemon) rename(args []string) error {
	if len(args) != 2 {
		return fail(1, "\"docker rename\" requires exactly 2 arguments.")
	}
	c, err := d.container(args[0])
	if err != nil {
		return err
	}
	if _, taken := d.h.Containers[args[1]]; taken {
		return fail(1, "Error response from daemon: Conflict. The container name \"/%s\" is already in use.", args[1])
	}
	delete(d.h.Containers, args[0])
	d.h.Containers[args[1]] = c
	return nil
}

// imageTag is the tag of an image reference ("repo/name:tag" → "tag").
func imageTag(image string) string {
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		return image[i+1:]
	}
	return "latest"
}
