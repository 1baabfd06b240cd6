package apigw

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
)

const serverInfoPath = "/rest/apigateway/is/serverinfo"

// ServerInfo is what a rolling upgrade needs to know about a node's build.
// Version is the API Gateway package version (e.g. "10.15.0.7.1234"), the
// value that moves when a fix is applied; ProductVersion, from the licence,
// does not.
type ServerInfo struct {
	Version        string
	Build          string
	Hostname       string
	ProductVersion string
	Fixes          []string       // derived from PatchNums, sorted, without duplicates
	PatchNums      map[string]any // as the node reported it, when it is an object
}

var serverInfoCall = call{op: "get server info", method: http.MethodGet, path: serverInfoPath, retry: true}

// ServerInfo reads GET /rest/apigateway/is/serverinfo.
func (c *Client) ServerInfo(ctx context.Context, nodeURL string) (*ServerInfo, error) {
	return fetch(ctx, c, nodeURL, serverInfoCall, decodeServerInfo)
}

// Version reads only the version of serverinfo: what a rollout's ready
// polls ask every node many times, without building the fix list and
// licence details of a large document each time.
func (c *Client) Version(ctx context.Context, nodeURL string) (string, error) {
	w, err := fetch(ctx, c, nodeURL, serverInfoCall, decodeJSON[versionWire])
	if err != nil {
		return "", err
	}
	return w.version(), nil
}

// versionWire is the version field of serverinfo.
type versionWire struct {
	Version flexString `json:"version"`
}

func (w versionWire) version() string { return strings.TrimSpace(string(w.Version)) }

// decodeServerInfo reads the few fields used here and ignores the rest of a
// large, loosely typed document.
func decodeServerInfo(data []byte) (*ServerInfo, error) {
	var w struct {
		versionWire
		Build      flexString      `json:"build"`
		PatchNums  json.RawMessage `json:"patch_nums"`
		SystemInfo json.RawMessage `json:"systemInfo"`
		Licenses   json.RawMessage `json:"LicenseDetails"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, err
	}
	info := &ServerInfo{
		Version: w.version(),
		Build:   strings.TrimSpace(string(w.Build)),
	}
	var sys struct {
		Hostname flexString `json:"Hostname"`
	}
	if json.Unmarshal(w.SystemInfo, &sys) == nil {
		info.Hostname = strings.TrimSpace(string(sys.Hostname))
	}
	info.ProductVersion = productVersion(w.Licenses)
	info.PatchNums, info.Fixes = patchNums(w.PatchNums)
	return info, nil
}

// productVersion takes the first "Product Version" of the licence details,
// which may be a list or, leniently, a single object. The Swagger names the
// section productInformation; the vendor's licence example writes
// "Product Information": both are read.
func productVersion(raw json.RawMessage) string {
	type detail struct {
		ProductInformation map[string]flexString `json:"productInformation"`
		Spaced             map[string]flexString `json:"Product Information"`
	}
	var list []detail
	if json.Unmarshal(raw, &list) != nil {
		var one detail
		if json.Unmarshal(raw, &one) != nil {
			return ""
		}
		list = []detail{one}
	}
	for _, d := range list {
		for _, info := range []map[string]flexString{d.ProductInformation, d.Spaced} {
			if v := strings.TrimSpace(string(info["Product Version"])); v != "" {
				return v
			}
		}
	}
	return ""
}

// patchNums keeps the object as reported and lists its fixes. The shape is
// not documented, so: an object's keys are the fix names; an array's
// elements are; a string is a comma or space separated list.
func patchNums(raw json.RawMessage) (map[string]any, []string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || isNull(raw) {
		return nil, nil
	}
	var names []string
	var obj map[string]any
	if raw[0] == '{' {
		if json.Unmarshal(raw, &obj) != nil {
			return nil, nil
		}
		for k := range obj {
			names = append(names, k)
		}
	} else {
		var l stringList
		if l.UnmarshalJSON(raw) != nil {
			return nil, nil
		}
		names = l
	}
	return obj, sortedUnique(names)
}

func sortedUnique(in []string) []string {
	seen := make(map[string]bool, len(in))
	out := make([]string, 0, len(in))
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil
	}
	return out
}
