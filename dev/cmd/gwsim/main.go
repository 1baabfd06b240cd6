// Command gwsim runs a simulated webMethods API Gateway cluster and acts on
// a running one, so upgrade scripts and Terraform runs can be tried without
// a real gateway.
//
//	gwsim serve   [-nodes 3] [-version V] [-drain-time 200ms] [-restart-time 200ms]
//	              [-admin-latency 0] [-host 127.0.0.1] [-tls] [-state-file PATH]
//	              [-version-without-fix]
//	gwsim restart [-control URL] [-node NAME] [-version V] [-downtime 1s] [-fresh]
//	gwsim stop    [-control URL] -node NAME
//	gwsim status  [-control URL] [-node NAME]
//	gwsim version [-control URL] [-node NAME]
//	gwsim fault   [-control URL] -node NAME (-json '{...}' | -clear)
//	gwsim events  [-control URL]
//	gwsim store   [-control URL]
//	gwsim traffic -url URL[,URL...] [-duration 5s] [-rate 200] [-path /gateway/test]
//
// The control URL defaults to $GWSIM_CONTROL_URL. restart takes the node
// name and version from $APIGW_NODE_NAME and $APIGW_TARGET_VERSION when the
// flags are absent, so it can serve directly as the provider's
// upgrade_command; version prints the node's installed version (with its
// fix level, whatever serverinfo reports) and can serve as its
// version_command.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

const usage = `gwsim: simulated webMethods API Gateway cluster

Usage:
  gwsim serve   [-nodes 3] [-version V] [-drain-time 200ms] [-restart-time 200ms]
                [-admin-latency 0] [-host 127.0.0.1] [-tls] [-state-file PATH]
                [-version-without-fix]
  gwsim restart [-control URL] [-node NAME] [-version V] [-downtime 1s] [-fresh]
  gwsim stop    [-control URL] -node NAME
  gwsim status  [-control URL] [-node NAME]
  gwsim version [-control URL] [-node NAME]
  gwsim fault   [-control URL] -node NAME (-json '{"drainNeverEnds":true}' | -clear)
  gwsim events  [-control URL]
  gwsim store   [-control URL]
  gwsim traffic -url URL[,URL...] [-duration 5s] [-rate 200] [-path /gateway/test]

The control URL defaults to $GWSIM_CONTROL_URL. restart reads the node and the
version from $APIGW_NODE_NAME and $APIGW_TARGET_VERSION when the flags are not
given; version (the node's installed version, fix level included) reads the
node from $APIGW_NODE_NAME. Run "gwsim <command> -h" for the flags of one
command.
`

// exitUsage marks errors caused by how the command was called (exit 2).
type exitUsage struct{ msg string }

func (e exitUsage) Error() string { return e.msg }

// errHelp: "-h" was asked for and the flags were printed (exit 0).
var errHelp = errors.New("help shown")

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// commands are gwsim's commands by name; each parses its own flags.
var commands = map[string]func(args []string, stdout, stderr io.Writer) error{
	"serve":   serve,
	"restart": restart,
	"stop":    stop,
	"status":  status,
	"version": version,
	"fault":   fault,
	"events":  getCommand("events", "/events"),
	"store":   getCommand("store", "/store"),
	"traffic": traffic,
}

// run executes one command and returns the exit code: 0 success, 1
// failure, 2 usage error.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd := args[0]
	if slices.Contains([]string{"help", "-h", "-help", "--help"}, cmd) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	command, ok := commands[cmd]
	if !ok {
		fmt.Fprintf(stderr, "gwsim: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	err := command(args[1:], stdout, stderr)
	if err == nil || errors.Is(err, errHelp) {
		return 0
	}
	var u exitUsage
	if errors.As(err, &u) {
		if u.msg != "" {
			fmt.Fprintf(stderr, "gwsim %s: %s\n", cmd, u.msg)
		}
		return 2
	}
	fmt.Fprintf(stderr, "gwsim %s: %v\n", cmd, err)
	return 1
}
