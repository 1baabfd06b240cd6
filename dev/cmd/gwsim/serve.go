package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gwops/terraform-provider-apigw/dev/gwsim"
)

// stateFile is what serve writes for scripts and tests to find the cluster.
type stateFile struct {
	ControlURL string      `json:"control_url"`
	Nodes      []stateNode `json:"nodes"`
	CACertPEM  string      `json:"ca_cert_pem,omitempty"`
	Username   string      `json:"username"`
	PID        int         `json:"pid"`
}

type stateNode struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// newFlags makes a flag set whose errors are returned, not printed twice.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("gwsim "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags turns flag errors into usage errors and refuses stray
// arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return exitUsage{} // the flag package has printed the problem
	}
	if fs.NArg() > 0 {
		return exitUsage{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

func serve(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	var o gwsim.Options
	fs.IntVar(&o.Nodes, "nodes", 3, "number of nodes (gw-1..gw-N)")
	fs.StringVar(&o.Version, "version", gwsim.DefaultVersion, "initial version of every node")
	fs.DurationVar(&o.DrainTime, "drain-time", gwsim.DefaultDrainTime, "time a quiesce for all takes")
	fs.DurationVar(&o.RestartTime, "restart-time", gwsim.DefaultRestartTime, "time from start until health answers 200")
	fs.DurationVar(&o.AdminLatency, "admin-latency", 0, "latency added to every admin call")
	fs.DurationVar(&o.ShutdownMinute, "shutdown-minute", time.Minute, "how long one minute of a drain shutdown's timeout lasts (the node waits that for client sessions)")
	fs.StringVar(&o.Host, "host", "127.0.0.1", "address every listener binds to")
	fs.StringVar(&o.Username, "username", gwsim.DefaultUsername, "admin user name")
	fs.StringVar(&o.Password, "password", gwsim.DefaultPassword, "admin password")
	fs.BoolVar(&o.Variants.VersionWithoutFix, "version-without-fix", false,
		"serverinfo reports version as X.Y.0.0.<build> whatever fix is installed (the fix level shows only in patch_nums)")
	fs.BoolVar(&o.SerialQuiesce, "serial-quiesce", false,
		"refuse with 500 a quiesce-for-all request that arrives while another node's is still being answered (the vendor asks for one at a time)")
	fs.BoolVar(&o.Variants.HealthNeedsCredentials, "health-needs-credentials", false,
		"health endpoints answer 401 without valid credentials (the 10.15 monitoring page's reading)")
	useTLS := fs.Bool("tls", false, "serve HTTPS on the primary ports with a throwaway self-signed certificate (its PEM goes to the state file); created webMethods/HTTP ports, such as quiesce ports, stay plain HTTP")
	path := fs.String("state-file", "", "write the cluster's URLs to this JSON file (removed on exit)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.Nodes < 1 {
		return exitUsage{"-nodes must be at least 1"}
	}
	var caPEM []byte
	if *useTLS {
		cfg, pem, err := gwsim.SelfSignedTLS(o.Host, "localhost")
		if err != nil {
			return err
		}
		o.TLS, caPEM = cfg, pem
	}
	c, err := gwsim.Start(o)
	if err != nil {
		return err
	}
	defer c.Close()

	st := stateFile{ControlURL: c.ControlURL(), CACertPEM: string(caPEM), Username: o.Username, PID: os.Getpid()}
	for _, n := range c.Nodes() {
		st.Nodes = append(st.Nodes, stateNode{Name: n.Name(), URL: n.URL()})
	}
	b, _ := json.MarshalIndent(st, "", "  ")
	if *path != "" {
		if err := writeAtomic(*path, b); err != nil {
			return err
		}
		defer os.Remove(*path)
	}
	fmt.Fprintf(stdout, "%s\n", b)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	s := <-sig
	fmt.Fprintf(stderr, "gwsim serve: %s, shutting down\n", s)
	return nil
}

// writeAtomic writes through a temporary file so a reader never sees half
// a state file.
func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".gwsim-state-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
