package tfharness

import (
	"fmt"
	"strings"
)

// Provider renders the provider block: the credentials when set, then
// further attribute lines.
func Provider(username, password, extra string) string {
	var b strings.Builder
	b.WriteString("\nprovider \"apigw\" {\n")
	if username != "" {
		fmt.Fprintf(&b, "  username = %q\n  password = %q\n", username, password)
	}
	if extra != "" {
		fmt.Fprintf(&b, "  %s\n", extra)
	}
	b.WriteString("}\n")
	return b.String()
}

// Upgrade is one apigw_rolling_upgrade resource, with the apigw_quiesce_port
// resources of the nodes that get one.
type Upgrade struct {
	Name           string // the resource's name
	Target         string // target_version
	Nodes          []Node
	UpgradeCommand []string
	PollInterval   string // "" leaves the default
	// Attributes are further attribute lines of the resource, in HCL.
	Attributes string
}

// Node is one element of nodes.
type Node struct {
	Name, URL string
	// QuiesceURL is the node's quiesce_url; "" gives none (drain_shutdown)
	// unless QuiescePort is set.
	QuiesceURL string
	// QuiescePort, when set, adds an apigw_quiesce_port resource named
	// after the node (dashes become underscores) that opens this port,
	// and the node's quiesce_url is that resource's.
	QuiescePort int
}

// PortResource is the name of the node's apigw_quiesce_port resource.
func (n Node) PortResource() string { return strings.NewReplacer("-", "_", ".", "_").Replace(n.Name) }

// HCL renders the quiesce ports, then the resource. upgrade_command is on
// one line, so a test can swap it.
func (u Upgrade) HCL() string {
	var ports, nodes strings.Builder
	for _, n := range u.Nodes {
		fmt.Fprintf(&nodes, "    { name = %q, url = %q", n.Name, n.URL)
		switch {
		case n.QuiescePort != 0:
			// One block per node rather than for_each:
			// terraform-plugin-testing's state checks refuse for_each
			// addresses.
			fmt.Fprintf(&ports, "\nresource \"apigw_quiesce_port\" %q {\n  node_url = %q\n  port     = %d\n}\n", n.PortResource(), n.URL, n.QuiescePort)
			fmt.Fprintf(&nodes, ", quiesce_url = apigw_quiesce_port.%s.quiesce_url", n.PortResource())
		case n.QuiesceURL != "":
			fmt.Fprintf(&nodes, ", quiesce_url = %q", n.QuiesceURL)
		}
		nodes.WriteString(" },\n")
	}
	var b strings.Builder
	b.WriteString(ports.String())
	fmt.Fprintf(&b, "\nresource \"apigw_rolling_upgrade\" %q {\n  target_version = %q\n  nodes = [\n%s  ]\n  upgrade_command = %s\n",
		u.Name, u.Target, nodes.String(), List(u.UpgradeCommand))
	if u.PollInterval != "" {
		fmt.Fprintf(&b, "  poll_interval   = %q\n", u.PollInterval)
	}
	if u.Attributes != "" {
		fmt.Fprintf(&b, "  %s\n", strings.TrimSpace(u.Attributes))
	}
	b.WriteString("}\n")
	return b.String()
}

// List renders argv as an HCL list of strings.
func List(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = fmt.Sprintf("%q", a)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
