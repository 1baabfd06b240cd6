package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// controlFlags is the flag set of a command that calls the control API:
// -control (default $GWSIM_CONTROL_URL) and the command's own flags.
type controlFlags struct {
	*flag.FlagSet
	control *string
}

func newControlFlags(name string, stderr io.Writer) controlFlags {
	fs := newFlags(name, stderr)
	return controlFlags{FlagSet: fs, control: fs.String("control", "", "control API URL (default $GWSIM_CONTROL_URL)")}
}

// parse reads args and returns the control API's base URL.
func (c controlFlags) parse(args []string) (string, error) {
	if err := parseFlags(c.FlagSet, args); err != nil {
		return "", err
	}
	return controlURL(*c.control)
}

// nodeFlags is the flag set of a command that acts on one node: the
// control flags and -node, which is required. With fromEnv, -node defaults
// to $APIGW_NODE_NAME, which the provider sets for upgrade_command and
// version_command.
type nodeFlags struct {
	controlFlags
	node    *string
	fromEnv bool
}

func newNodeFlags(name, nodeUsage string, fromEnv bool, stderr io.Writer) nodeFlags {
	fs := newControlFlags(name, stderr)
	def := ""
	if fromEnv {
		def = os.Getenv("APIGW_NODE_NAME")
		nodeUsage += " (default $APIGW_NODE_NAME)"
	}
	return nodeFlags{controlFlags: fs, node: fs.String("node", def, nodeUsage), fromEnv: fromEnv}
}

// parse reads args and returns the node's URL in the control API.
func (c nodeFlags) parse(args []string) (string, error) {
	base, err := c.controlFlags.parse(args)
	switch {
	case err != nil:
		return "", err
	case *c.node != "":
		return nodeURL(base, *c.node), nil
	case c.fromEnv:
		return "", exitUsage{"-node is required (or set APIGW_NODE_NAME)"}
	}
	return "", exitUsage{"-node is required"}
}

func controlURL(flagValue string) (string, error) {
	u := flagValue
	if u == "" {
		u = os.Getenv("GWSIM_CONTROL_URL")
	}
	if u == "" {
		return "", exitUsage{"no control URL: pass -control or set GWSIM_CONTROL_URL (gwsim serve prints it)"}
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return "", exitUsage{fmt.Sprintf("invalid control URL %q", u)}
	}
	return strings.TrimSuffix(u, "/"), nil
}

// callControl sends one control request and copies the JSON answer to out.
func callControl(method, url string, body any, timeout time.Duration, out io.Writer) error {
	b, err := askControl(method, url, body, timeout)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s\n", bytes.TrimSpace(b))
	return err
}

// askControl sends one control request and returns the JSON answer.
func askControl(method, url string, body any, timeout time.Duration) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, rd)
	if err != nil {
		return nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Timeout: timeout}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("control API unreachable: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return nil, fmt.Errorf("%s", e.Error)
		}
		return nil, fmt.Errorf("control API answered %s: %s", resp.Status, strings.TrimSpace(string(b)))
	}
	return b, nil
}

// nodeURL is a node's URL in the control API at base.
func nodeURL(base, node string) string { return base + "/nodes/" + url.PathEscape(node) }

func restart(args []string, stdout, stderr io.Writer) error {
	fs := newNodeFlags("restart", "node to restart", true, stderr)
	version := fs.String("version", os.Getenv("APIGW_TARGET_VERSION"), "version to start on (default $APIGW_TARGET_VERSION; empty keeps the current one)")
	downtime := fs.Duration("downtime", 0, "time between shutdown and start (applying the fix)")
	fresh := fs.Bool("fresh", false, "start a new container: ports other than the primary and the quiesce-port setting are lost")
	u, err := fs.parse(args)
	if err != nil {
		return err
	}
	if *downtime < 0 {
		return exitUsage{"-downtime must not be negative"}
	}
	body := map[string]any{"version": *version, "downtime": downtime.String(), "fresh": *fresh}
	return callControl("POST", u+"/restart", body, *downtime+time.Minute, stdout)
}

func stop(args []string, stdout, stderr io.Writer) error {
	u, err := newNodeFlags("stop", "node to stop (crash: unflushed metrics are lost)", false, stderr).parse(args)
	if err != nil {
		return err
	}
	return callControl("POST", u+"/stop", nil, time.Minute, stdout)
}

func status(args []string, stdout, stderr io.Writer) error {
	fs := newControlFlags("status", stderr)
	node := fs.String("node", "", "show only this node")
	base, err := fs.parse(args)
	if err != nil {
		return err
	}
	u := base + "/nodes"
	if *node != "" {
		u = nodeURL(base, *node)
	}
	return callControl("GET", u, nil, 30*time.Second, stdout)
}

// version prints the node's installed version alone, fix level included
// whatever serverinfo reports: what a version_command prints. It reads the
// simulator's record, so it answers while the node is down too, as a
// script that reads the installation on disk would.
func version(args []string, stdout, stderr io.Writer) error {
	u, err := newNodeFlags("version", "node to read", true, stderr).parse(args)
	if err != nil {
		return err
	}
	b, err := askControl("GET", u, nil, 30*time.Second)
	if err != nil {
		return err
	}
	var st struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(b, &st); err != nil || st.Version == "" {
		return fmt.Errorf("control API answered without a version: %s", bytes.TrimSpace(b))
	}
	_, err = fmt.Fprintln(stdout, st.Version)
	return err
}

func fault(args []string, stdout, stderr io.Writer) error {
	fs := newNodeFlags("fault", "node to misbehave", false, stderr)
	spec := fs.String("json", "", `faults as JSON, e.g. '{"quiesceRefused":true,"adminDelay":"2s"}'`)
	clearAll := fs.Bool("clear", false, "remove every fault")
	u, err := fs.parse(args)
	if err != nil {
		return err
	}
	if (*spec == "") == !*clearAll {
		return exitUsage{"give exactly one of -json and -clear"}
	}
	body := json.RawMessage("{}")
	if *spec != "" {
		if !json.Valid([]byte(*spec)) {
			return exitUsage{fmt.Sprintf("-json is not valid JSON: %s", *spec)}
		}
		body = json.RawMessage(*spec)
	}
	return callControl("PUT", u+"/faults", body, 30*time.Second, stdout)
}

// getCommand is a command that prints what GET path answers in the control
// API.
func getCommand(name, path string) func(args []string, stdout, stderr io.Writer) error {
	return func(args []string, stdout, stderr io.Writer) error {
		base, err := newControlFlags(name, stderr).parse(args)
		if err != nil {
			return err
		}
		return callControl("GET", base+path, nil, 30*time.Second, stdout)
	}
}
