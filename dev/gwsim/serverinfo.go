package gwsim

import (
	"net/http"
	"strings"
)

// release is the first two segments of a version ("10.15"): what the
// licence names, unchanged by fixes.
func release(version string) string {
	seg := strings.Split(version, ".")
	if len(seg) < 2 {
		return version
	}
	return seg[0] + "." + seg[1]
}

// fixLevel and build come from the 4th and 5th version segments
// ("10.15.0.5.120" is fix 5, build 120).
func fixLevel(version string) string {
	seg := strings.Split(version, ".")
	if len(seg) < 4 {
		return "0"
	}
	return seg[3]
}

func buildNumber(version string) string {
	seg := strings.Split(version, ".")
	if len(seg) < 5 {
		return "0"
	}
	return strings.Join(seg[4:], ".")
}

// withoutFix is what serverinfo reports as version under
// Variants.VersionWithoutFix: the release and build of v with the fix
// level left out ("10.5.0.9.5015" → "10.5.0.0.5015").
func withoutFix(v string) string {
	return release(v) + ".0.0." + buildNumber(v)
}

// ServerInfoVersion is the "version" serverinfo reports for the node:
// its installed version, or that version without the fix level under
// Variants.VersionWithoutFix.
func (n *Node) ServerInfoVersion() string { return n.c.serverInfoVersion(n.Version()) }

func (c *Cluster) serverInfoVersion(installed string) string {
	if c.opts.Variants.VersionWithoutFix {
		return withoutFix(installed)
	}
	return installed
}

// serveServerInfo answers GET /rest/apigateway/is/serverinfo. "version"
// changes with every fix unless Variants.VersionWithoutFix is set; the
// fixes are listed in patch_nums; the licence's "Product Version" never
// changes with a fix.
func (n *Node) serveServerInfo(w http.ResponseWriter) {
	v := n.Version()
	patches := map[string]string{}
	if fix := fixLevel(v); fix != "0" {
		patches["APIGW_"+release(v)+"_Fix"+fix] = v
		patches["IS_"+release(v)+"_Core_Fix"+fix] = release(v) + ".0." + fix
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"version":     n.c.serverInfoVersion(v),
		"build":       buildNumber(v),
		"patch_nums":  patches,
		"jvm_version": "17.0.12",
		"package":     "WmAPIGateway",
		"publisher":   "gwsim",
		"description": "Simulated webMethods API Gateway",
		"systemInfo": map[string]string{
			"Hostname":      n.name,
			"OS.Name":       "Linux",
			"OS.Release":    "6.1",
			"CPU.cores":     "2",
			"CPU.type":      "amd64",
			"HW.memory[GB]": "8",
		},
		"LicenseDetails": []any{map[string]any{
			"productInformation": map[string]string{
				"Product Name":    "webMethods API Gateway",
				"Product Code":    "YAIAA",
				"Product Version": release(v),
				"Expiration Date": "2099/12/31",
				"Usage":           "Production",
			},
			"licenseInformation": map[string]string{
				"LicenseType": "Production",
			},
		}},
	})
}

// serveClusterInfo answers GET /rest/apigateway/is/cluster with settings
// that name every node of the cluster.
func (n *Node) serveClusterInfo(w http.ResponseWriter) {
	names := make([]string, 0, len(n.c.nodes))
	for _, o := range n.c.nodes {
		names = append(names, o.name)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"clusterAware":         len(n.c.nodes) > 1,
		"clusterName":          "APIGatewayCluster",
		"currentlyClustered":   len(n.c.nodes) > 1,
		"pendingRestart":       false,
		"clusterSessTimeout":   "60",
		"actionOnStartupError": "standalone",
		"Ignite": map[string]any{
			"hostNames":         strings.Join(names, ","),
			"hostnames":         strings.Join(names, ","), // spelling of the vendor example and apigw-api.md
			"discoveryPort":     "10100",
			"communicationPort": "10200",
			"portRange":         0,
		},
	})
}
