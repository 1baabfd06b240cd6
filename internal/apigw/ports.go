package apigw

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

const (
	portsPath   = "/rest/apigateway/ports"
	httpFactory = "webMethods/HTTP"
)

// DefaultPackage is the Integration Server package a port belongs to when
// none is named.
const DefaultPackage = "WmRoot"

// PortRef names an existing port: its listener key within a package.
type PortRef struct{ ListenerKey, Pkg string }

// NewPort describes a port to create.
type NewPort struct {
	Port     int
	Alias    string
	Pkg      string // "" => WmRoot
	Protocol string // "HTTP" (default) or "HTTPS"
}

// Port is a port configuration as the gateway reports it, decoded leniently.
type Port struct {
	UniqueID    string `json:"uniqueID,omitempty"`
	ListenerKey string `json:"listenerKey,omitempty"`
	Pkg         string `json:"pkg,omitempty"`
	PortAlias   string `json:"portAlias,omitempty"`
	Protocol    string `json:"protocol,omitempty"`
	FactoryKey  string `json:"factoryKey,omitempty"`
	AccessMode  string `json:"accessMode,omitempty"`
	Port        int    `json:"port,omitempty"`
	Enabled     bool   `json:"enabled"`
	Suspended   bool   `json:"suspended"`
}

// portWire is the port object with every quirk the gateway is known for.
type portWire struct {
	UniqueID    flexString `json:"uniqueID"`
	ListenerKey flexString `json:"listenerKey"`
	Key         flexString `json:"key"`
	Pkg         flexString `json:"pkg"`
	PortAlias   flexString `json:"portAlias"`
	Protocol    flexString `json:"protocol"`
	FactoryKey  flexString `json:"factoryKey"`
	AccessMode  flexString `json:"accessMode"`
	Port        FlexInt    `json:"port"`
	Enabled     FlexBool   `json:"enabled"`
	Suspended   FlexBool   `json:"suspended"`
}

// UnmarshalJSON reads "listenerKey" or "key", booleans and the port number
// as strings or native values, and fills protocol and port from the
// listener key when the gateway leaves them out.
func (p *Port) UnmarshalJSON(data []byte) error {
	var w portWire
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	key := strings.TrimSpace(string(w.ListenerKey))
	if key == "" {
		key = strings.TrimSpace(string(w.Key))
	}
	*p = Port{
		UniqueID:    strings.TrimSpace(string(w.UniqueID)),
		ListenerKey: key,
		Pkg:         strings.TrimSpace(string(w.Pkg)),
		PortAlias:   strings.TrimSpace(string(w.PortAlias)),
		Protocol:    strings.ToUpper(strings.TrimSpace(string(w.Protocol))),
		FactoryKey:  strings.TrimSpace(string(w.FactoryKey)),
		AccessMode:  strings.TrimSpace(string(w.AccessMode)),
		Port:        int(w.Port),
		Enabled:     bool(w.Enabled),
		Suspended:   bool(w.Suspended),
	}
	proto, num, _, ok := ParseListenerKey(key)
	if p.Protocol == "" {
		switch {
		case ok:
			p.Protocol = proto
		case p.FactoryKey != "":
			_, after, _ := strings.Cut(p.FactoryKey, "/")
			p.Protocol = strings.ToUpper(after)
		}
	}
	if p.Port == 0 && ok {
		p.Port = num
	}
	return nil
}

// decodePort reads one port object; found is false when the answer holds
// no port (the gateway's 200-without-uniqueID way of saying "missing").
func decodePort(data []byte) (port Port, found bool, err error) {
	if err := json.Unmarshal(data, &port); err != nil {
		return Port{}, false, err
	}
	return port, port.UniqueID != "", nil
}

// CreatePort adds a port. It is never retried: a repeat after a lost answer
// would fail with "already exists". The listener key comes from the answer,
// else from ListenerKey(p.Protocol, p.Port).
func (c *Client) CreatePort(ctx context.Context, nodeURL string, p NewPort) (string, error) {
	const op = "create port"
	if p.Port < 1 || p.Port > 65535 {
		return "", fmt.Errorf("%s: port %d is outside 1-65535", op, p.Port)
	}
	proto := strings.ToUpper(strings.TrimSpace(p.Protocol))
	if proto == "" {
		proto = "HTTP"
	}
	if proto != "HTTP" && proto != "HTTPS" {
		return "", fmt.Errorf("%s: protocol %q is not supported; use HTTP or HTTPS", op, p.Protocol)
	}
	body := struct {
		FactoryKey string `json:"factoryKey"`
		Pkg        string `json:"pkg"`
		Port       string `json:"port"`
		PortAlias  string `json:"portAlias"`
	}{httpFactory, pkgOrDefault(p.Pkg), strconv.Itoa(p.Port), p.Alias}
	if proto == "HTTPS" {
		body.FactoryKey = "webMethods/HTTPS"
	}
	cl := call{op: op, method: http.MethodPost, path: portsPath, body: body}
	r, err := c.do(ctx, nodeURL, cl)
	if err != nil {
		return "", err
	}
	var ans struct {
		Status      flexString `json:"status"`
		ListenerKey flexString `json:"listenerKey"`
		Key         flexString `json:"key"`
	}
	if len(r.body) > 0 && json.Unmarshal(r.body, &ans) == nil {
		switch strings.ToLower(strings.TrimSpace(string(ans.Status))) {
		case "failure", "failed", "error":
			return "", newAPIError(op, cl.method, r.url, r.status, r.body)
		}
		for _, k := range []flexString{ans.ListenerKey, ans.Key} {
			if s := strings.TrimSpace(string(k)); s != "" {
				return s, nil
			}
		}
	}
	return ListenerKey(proto, p.Port), nil
}

// EnablePort starts a port. Idempotent, so retried.
func (c *Client) EnablePort(ctx context.Context, nodeURL string, ref PortRef) error {
	body := struct {
		ListenerKey          string `json:"listenerKey"`
		Pkg                  string `json:"pkg"`
		RequestServiceStatus string `json:"requestServiceStatus"`
	}{ref.ListenerKey, pkgOrDefault(ref.Pkg), ""}
	_, err := c.do(ctx, nodeURL, call{op: "enable port", method: http.MethodPut,
		path: portsPath + "/enable", body: body, retry: true})
	return err
}

// DisablePort stops a port. Idempotent, so retried.
func (c *Client) DisablePort(ctx context.Context, nodeURL string, ref PortRef) error {
	body := struct {
		ListenerKey string `json:"listenerKey"`
		Pkg         string `json:"pkg"`
	}{ref.ListenerKey, pkgOrDefault(ref.Pkg)}
	_, err := c.do(ctx, nodeURL, call{op: "disable port", method: http.MethodPut,
		path: portsPath + "/disable", body: body, retry: true})
	return err
}

// GetPort reads one port. A missing port (400, 404, or 200 without a
// uniqueID) is an error for which IsNotFound is true.
func (c *Client) GetPort(ctx context.Context, nodeURL, listenerKey string) (*Port, error) {
	p, _, err := c.getPort(ctx, nodeURL, listenerKey)
	return p, err
}

// getPort is GetPort that also returns the port object as the gateway sent
// it, for an update that must send back the settings it does not change.
func (c *Client) getPort(ctx context.Context, nodeURL, listenerKey string) (*Port, json.RawMessage, error) {
	cl := call{op: "get port", method: http.MethodGet, path: portsPath,
		query: url.Values{"listenerKey": {listenerKey}}, retry: true}
	r, err := c.do(ctx, nodeURL, cl)
	var ae *APIError
	if errors.As(err, &ae) && (ae.StatusCode == http.StatusBadRequest || ae.StatusCode == http.StatusNotFound) {
		ae.notFound = true
		return nil, nil, ae
	}
	if err != nil {
		return nil, nil, err
	}
	notFound := &APIError{Op: cl.op, Method: cl.method, URL: r.url, StatusCode: r.status,
		Message: fmt.Sprintf("port %s does not exist", listenerKey), notFound: true}
	if len(r.body) == 0 {
		return nil, nil, notFound
	}
	// Some gateways ignore the filter and list every port: pick ours.
	if bytes.Contains(r.body, []byte(`"listeners"`)) {
		items, err := listenerItems(r.body)
		if err == nil {
			for _, raw := range items {
				var port Port
				if json.Unmarshal(raw, &port) == nil && SameListener(port.ListenerKey, listenerKey) {
					return &port, raw, nil
				}
			}
			return nil, nil, notFound
		}
	}
	port, found, err := decodePort(r.body)
	if err != nil {
		return nil, nil, r.decodeError(cl, err)
	}
	if !found || (port.ListenerKey != "" && !SameListener(port.ListenerKey, listenerKey)) {
		return nil, nil, notFound
	}
	return &port, r.body, nil
}

// ListPorts lists the ports of pkg, or of every package when pkg is "".
func (c *Client) ListPorts(ctx context.Context, nodeURL, pkg string) ([]Port, error) {
	var q url.Values
	if pkg != "" {
		q = url.Values{"pkg": {pkg}}
	}
	cl := call{op: "list ports", method: http.MethodGet, path: portsPath, query: q, retry: true}
	return fetch(ctx, c, nodeURL, cl, decodeListeners)
}

// decodeListeners reads {"listeners":[...]} or a bare array of ports.
func decodeListeners(data []byte) ([]Port, error) {
	items, err := listenerItems(data)
	if err != nil {
		return nil, err
	}
	var ports []Port
	for _, raw := range items {
		var p Port
		if err := json.Unmarshal(raw, &p); err != nil {
			return nil, err
		}
		ports = append(ports, p)
	}
	return ports, nil
}

// listenerItems splits {"listeners":[...]} or a bare array into the port
// objects as sent.
func listenerItems(data []byte) ([]json.RawMessage, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, nil
	}
	if data[0] == '[' {
		var items []json.RawMessage
		err := json.Unmarshal(data, &items)
		return items, err
	}
	var wrap struct {
		Listeners []json.RawMessage `json:"listeners"`
	}
	if err := json.Unmarshal(data, &wrap); err != nil {
		return nil, err
	}
	return wrap.Listeners, nil
}

// DeletePort removes a port; disable it first. It is retried like the other
// idempotent writes, so a repeat after a lost answer may report the port as
// already missing.
func (c *Client) DeletePort(ctx context.Context, nodeURL string, ref PortRef) error {
	q := url.Values{"pkg": {pkgOrDefault(ref.Pkg)}, "listenerKey": {ref.ListenerKey}}
	_, err := c.do(ctx, nodeURL, call{op: "delete port", method: http.MethodDelete,
		path: portsPath, query: q, retry: true})
	return err
}

func pkgOrDefault(pkg string) string {
	if strings.TrimSpace(pkg) == "" {
		return DefaultPackage
	}
	return strings.TrimSpace(pkg)
}
