//go:build unix

package fakeops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// EnvDir names the directory holding the world (world.json), the record of
// calls (calls.jsonl) and the links to the fake commands (bin/).
const EnvDir = "FAKEOPS_DIR"

// World is what the fake commands share: the machines they reach and how
// those map onto the simulated cluster.
type World struct {
	Gwsim      string // path of the gwsim command
	ControlURL string // the simulated cluster's control API
	// Versions maps an image tag or a fix version to the version a node
	// reports once it runs it (e.g. "10.15.0.7" → "10.15.0.7.77"); a tag
	// without an entry is reported as it is.
	Versions map[string]string
	// DockerHosts are the Docker daemons, by the DOCKER_HOST (or -H) value
	// that reaches them; each one runs one node.
	DockerHosts map[string]*DockerHost
	// Kube is the Kubernetes cluster kubectl reaches, if any.
	Kube *Kube
	// SSHHosts are the machines ssh reaches, by host name (no user@).
	SSHHosts map[string]*SSHHost
	// Failures are injected errors, used up in order.
	Failures []*Failure
}

// DockerHost is one Docker daemon running one gateway node.
type DockerHost struct {
	Node       string                // the gwsim node its containers are
	Images     []string              // pulled images
	Containers map[string]*Container // by name
}

// Container is one container of a Docker host.
type Container struct {
	Image   string
	Running bool
	Started bool // has run before: its start keeps the node's settings
	Labels  map[string]string
}

// Kube is one namespace with one StatefulSet of gateway pods.
type Kube struct {
	Namespace      string
	StatefulSet    string
	Container      string // the gateway container's name in the pod template
	UpdateStrategy string // "OnDelete" or "RollingUpdate"
	Image          string // the pod template's image
	Pods           map[string]*Pod
}

// Pod is one pod of the StatefulSet.
type Pod struct {
	Node  string // the gwsim node it is
	Image string
}

// SSHHost is a machine reached over SSH. With Node set it runs that node
// as a systemd service with an Update Manager; without, ssh runs the
// remote command on the local machine (a load balancer host whose tools
// are installed locally in the test).
type SSHHost struct {
	Node      string
	Installed string   // fix version installed (a key of Versions)
	Previous  []string // versions before, the last one most recent
	Stopped   bool     // the service is stopped
	Files     []string // paths of the files copied onto it
}

// Failure makes the Times next calls of Tool whose arguments contain Match
// fail with Stderr and exit status Exit, before they act.
type Failure struct {
	Tool   string
	Match  string
	Times  int
	Stderr string
	Exit   int
}

// Call is one recorded invocation of a fake command.
type Call struct {
	At   time.Time         `json:"at"`
	Tool string            `json:"tool"`
	Args []string          `json:"args"`
	Env  map[string]string `json:"env,omitempty"`
	Exit int               `json:"exit"`
}

// Line is the call as a shell would show it, for messages and matching.
func (c Call) Line() string { return c.Tool + " " + strings.Join(c.Args, " ") }

// recordedEnv are the variables a Call keeps: who called it for which node.
var recordedEnv = []string{"APIGW_NODE_NAME", "APIGW_FROM_VERSION", "APIGW_TARGET_VERSION", "DOCKER_HOST"}

// tools are the commands served, by the name they are called under.
var tools = map[string]func(*session) error{
	"docker":  docker,
	"kubectl": kubectl,
	"ssh":     ssh,
	"scp":     scp,
}

// Setup writes w into dir and links the fake commands into dir/bin, which
// the caller puts first on PATH (with EnvDir=dir in the environment) of
// the processes that must find them. The commands are the running
// executable, which must call Main first thing.
func Setup(dir string, w *World) (binDir string, err error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	binDir = filepath.Join(dir, "bin")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return "", err
	}
	for name := range tools {
		if err := os.Symlink(exe, filepath.Join(binDir, name)); err != nil {
			return "", err
		}
	}
	return binDir, Update(dir, func(cur *World) error { *cur = *w; return nil })
}

// Main runs the fake command the process was started as, and exits, when
// it was started under a tool's name with EnvDir set; otherwise it returns
// at once. Call it first thing in TestMain.
func Main() {
	run, ok := tools[filepath.Base(os.Args[0])]
	dir := os.Getenv(EnvDir)
	if !ok || dir == "" {
		return
	}
	s := &session{dir: dir, tool: filepath.Base(os.Args[0]), args: os.Args[1:], stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	os.Exit(s.run(run))
}

// Update changes the world under the lock: f's changes are saved unless it
// fails.
func Update(dir string, f func(*World) error) error {
	unlock, err := lock(dir)
	if err != nil {
		return err
	}
	defer unlock()
	w, err := load(dir)
	if err != nil {
		return err
	}
	if err := f(w); err != nil {
		return err
	}
	return save(dir, w)
}

// Calls reads the record of calls, oldest first.
func Calls(dir string) ([]Call, error) {
	b, err := os.ReadFile(filepath.Join(dir, "calls.jsonl"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var calls []Call
	for line := range strings.Lines(string(b)) {
		var c Call
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			return nil, fmt.Errorf("calls.jsonl: %w", err)
		}
		calls = append(calls, c)
	}
	return calls, nil
}

// session is one invocation of a fake command.
type session struct {
	dir            string
	tool           string
	args           []string
	stdin          io.Reader
	stdout, stderr io.Writer
	world          *World
	// afterUnlock, when set, runs once the world is saved and unlocked:
	// ssh's local commands, which may run long and call other fakes.
	afterUnlock func() int
}

// exitError ends a command with a status and a message on stderr, as the
// real tool would.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func fail(code int, format string, args ...any) error {
	return &exitError{code: code, msg: fmt.Sprintf(format, args...)}
}

// run executes one command under the world's lock and records it.
func (s *session) run(tool func(*session) error) int {
	code := s.locked(tool)
	if s.afterUnlock != nil {
		code = s.afterUnlock()
	}
	return code
}

func (s *session) locked(tool func(*session) error) int {
	unlock, err := lock(s.dir)
	if err != nil {
		fmt.Fprintf(s.stderr, "fakeops: %v\n", err)
		return 99
	}
	defer unlock()
	if s.world, err = load(s.dir); err != nil {
		fmt.Fprintf(s.stderr, "fakeops: %v\n", err)
		return 99
	}
	err = s.injected()
	if err == nil {
		err = tool(s)
	}
	code := exitCode(err, s.stderr)
	if err := save(s.dir, s.world); err != nil {
		fmt.Fprintf(s.stderr, "fakeops: %v\n", err)
		return 99
	}
	if err := s.record(code); err != nil {
		fmt.Fprintf(s.stderr, "fakeops: %v\n", err)
		return 99
	}
	return code
}

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stderr, ee.msg)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "fakeops: %v\n", err)
	return 99
}

// injected uses up the first matching Failure, if any.
func (s *session) injected() error {
	line := strings.Join(s.args, " ")
	for i, f := range s.world.Failures {
		if f.Tool == s.tool && strings.Contains(line, f.Match) && f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.world.Failures = slices.Delete(s.world.Failures, i, i+1)
			}
			return fail(f.Exit, "%s", f.Stderr)
		}
	}
	return nil
}

func (s *session) record(code int) error {
	c := Call{At: time.Now(), Tool: s.tool, Args: s.args, Exit: code}
	for _, k := range recordedEnv {
		if v, ok := os.LookupEnv(k); ok {
			if c.Env == nil {
				c.Env = map[string]string{}
			}
			c.Env[k] = v
		}
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(s.dir, "calls.jsonl"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.Write(append(b, '\n'))
	return err
}

// gwsim runs the gwsim command against the cluster, as the machine a real
// tool acts on would start or stop the gateway.
func (s *session) gwsim(args ...string) error {
	full := append([]string{args[0], "-control", s.world.ControlURL}, args[1:]...)
	out, err := exec.CommandContext(context.Background(), s.world.Gwsim, full...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("gwsim %s: %v: %s", strings.Join(full, " "), err, out)
	}
	return nil
}

// start starts node on the version that tag (an image tag or a fix
// version) installs; fresh: a new container, whose settings are gone.
func (s *session) start(node, tag string, fresh bool) error {
	v := tag
	if mapped, ok := s.world.Versions[tag]; ok {
		v = mapped
	}
	args := []string{"restart", "-node", node, "-version", v}
	if fresh {
		args = append(args, "-fresh")
	}
	return s.gwsim(args...)
}

// stop stops node (the process ends; a quiesced node has nothing left to
// flush).
func (s *session) stop(node string) error { return s.gwsim("stop", "-node", node) }

func lock(dir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

func load(dir string) (*World, error) {
	w := &World{}
	b, err := os.ReadFile(filepath.Join(dir, "world.json"))
	if errors.Is(err, os.ErrNotExist) {
		return w, nil
	}
	if err != nil {
		return nil, err
	}
	return w, json.Unmarshal(b, w)
}

func save(dir string, w *World) error {
	b, err := json.MarshalIndent(w, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, "world.json.tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, "world.json"))
}
