package gwsim

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
)

// port is one configured listener of a node (the Integration Server's port
// configuration, kept across restarts unless the container is fresh).
type port struct {
	key        string // HTTPListener@4444, with @bindAddress when one was given
	alias      string
	pkg        string
	factoryKey string
	protocol   string
	number     int
	enabled    bool
	primary    bool
	// suspended stops an enabled port from accepting connections (its
	// listener is closed) until it is resumed.
	suspended bool
	// accessMode is "allow" (every service reachable) or "deny" (none:
	// every request on the port answers 403).
	accessMode string
}

// listens says whether p accepts connections while its node runs: the one
// rule for opening its listener, at start and on enable or resume.
func (p *port) listens() bool { return p.enabled && !p.suspended }

const (
	factoryHTTP  = "webMethods/HTTP"
	factoryHTTPS = "webMethods/HTTPS"
	protoHTTP    = "HTTP"
	protoHTTPS   = "HTTPS"
	primaryAlias = "DefaultPrimary"
)

var aliasPattern = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,64}$`)

// primaryProtocol: the primary port speaks HTTPS when the cluster was
// started with TLS.
func (c *Cluster) primaryProtocol() string {
	if c.opts.TLS != nil {
		return protoHTTPS
	}
	return protoHTTP
}

func (n *Node) primaryConfig() *port {
	proto, factory := n.c.primaryProtocol(), factoryHTTP
	if proto == protoHTTPS {
		factory = factoryHTTPS
	}
	return &port{
		key:        proto + "Listener@" + itoa(n.primaryPort),
		alias:      primaryAlias,
		pkg:        "WmRoot",
		factoryKey: factory,
		protocol:   proto,
		number:     n.primaryPort,
		enabled:    true,
		primary:    true,
		accessMode: accessAllow,
	}
}

// url is the port's base URL: https only for an HTTPS listener.
func (p *port) url(c *Cluster) string { return c.baseURL(p.protocol, p.number) }

// listenLocked starts serving p on ln, over TLS only when p is an HTTPS port.
func (n *Node) listenLocked(p *port, ln net.Listener) {
	n.listeners[p.key] = n.c.serve(ln, p.protocol == protoHTTPS, n.handler(p))
}

func (n *Node) findPortLocked(number int) *port {
	for _, p := range n.ports {
		if p.number == number {
			return p
		}
	}
	return nil
}

func (n *Node) portByKeyLocked(key string) *port {
	for _, p := range n.ports {
		if p.key == key {
			return p
		}
	}
	return nil
}

func (n *Node) portByAliasLocked(alias string) *port {
	for _, p := range n.ports {
		if p.alias == alias {
			return p
		}
	}
	return nil
}

// quiescePortLocked is the port the quiesce-port setting names, or nil.
func (n *Node) quiescePortLocked() *port {
	if n.quiesceAlias == "" {
		return nil
	}
	return n.portByAliasLocked(n.quiesceAlias)
}

// portObject is a port as the ports API shows it. Numbers and booleans are
// strings, as the vendor sends them.
type portObject struct {
	UniqueID        string `json:"uniqueID,omitempty"`
	Key             string `json:"key"`
	Port            string `json:"port,omitempty"`
	PortAlias       string `json:"portAlias,omitempty"`
	Pkg             string `json:"pkg"`
	Enabled         string `json:"enabled,omitempty"`
	Listening       string `json:"listening,omitempty"`
	Suspended       string `json:"suspended,omitempty"`
	Protocol        string `json:"protocol,omitempty"`
	FactoryKey      string `json:"factoryKey,omitempty"`
	AccessMode      string `json:"accessMode,omitempty"`
	ListenerType    string `json:"listenerType,omitempty"`
	PortDescription string `json:"portDescription,omitempty"`
	SSL             string `json:"ssl,omitempty"`
	Status          string `json:"status,omitempty"`
	// ListenerKey only appears in the answer to POST /ports, where
	// apigw-api.md documents it next to "status".
	ListenerKey string `json:"listenerKey,omitempty"`
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func (n *Node) portObjectLocked(p *port) portObject {
	_, listening := n.listeners[p.key]
	kind, desc := "Regular", ""
	switch {
	case p.primary:
		kind, desc = "Primary", "Primary port"
	case p.alias == n.quiesceAlias:
		desc = "Quiesce port"
	}
	return portObject{
		UniqueID:        p.key,
		Key:             p.key,
		Port:            itoa(p.number),
		PortAlias:       p.alias,
		Pkg:             p.pkg,
		Enabled:         boolString(p.enabled),
		Listening:       boolString(listening),
		Suspended:       boolString(p.suspended),
		Protocol:        p.protocol,
		FactoryKey:      p.factoryKey,
		AccessMode:      p.accessMode,
		ListenerType:    kind,
		PortDescription: desc,
		SSL:             boolString(p.protocol == protoHTTPS),
	}
}

// handlePorts serves /rest/apigateway/ports and everything below it.
func (n *Node) handlePorts(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/rest/apigateway/ports")
	rest = strings.TrimPrefix(rest, "/")
	switch {
	case rest == "" && r.Method == http.MethodGet:
		n.getPorts(w, r)
	case rest == "" && r.Method == http.MethodPost:
		n.createPort(w, r)
	case rest == "" && r.Method == http.MethodDelete:
		n.deletePort(w, r)
	case rest == "enable" && r.Method == http.MethodPut:
		n.changeNamedPort(w, r, n.enablePortLocked, "listenerKey")
	case rest == "disable" && r.Method == http.MethodPut:
		n.changeNamedPort(w, r, n.disablePortLocked, "listenerKey")
	case rest == "primary" && r.Method == http.MethodGet:
		n.mu.Lock()
		p := n.ports[0]
		n.mu.Unlock()
		writeJSON(w, http.StatusOK, portRef(p))
	case rest == "" && r.Method == http.MethodPut:
		n.changeNamedPort(w, r, n.updatePortLocked, "key", "listenerKey", "uniqueID")
	case strings.HasSuffix(rest, "/accessMode") && !strings.Contains(strings.TrimSuffix(rest, "/accessMode"), "/"):
		n.handleAccessMode(w, r, strings.TrimSuffix(rest, "/accessMode"))
	case rest != "" && !strings.Contains(rest, "/") && r.Method == http.MethodGet:
		n.mu.Lock()
		p := n.portByKeyLocked(rest)
		var obj portObject
		if p != nil {
			obj = n.portObjectLocked(p)
		}
		n.mu.Unlock()
		if p == nil {
			writePortError(w, http.StatusNotFound, rest, "", "Listener %s does not exist", rest)
			return
		}
		writeJSON(w, http.StatusOK, obj)
	default:
		writeError(w, http.StatusMethodNotAllowed, "%s %s is not supported by the simulator", r.Method, r.URL.Path)
	}
}

// getPorts lists ports, or shows one when ?listenerKey= is given.
func (n *Node) getPorts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	pkg := q.Get("pkg")
	n.mu.Lock()
	defer n.mu.Unlock()
	if q.Has("listenerKey") {
		key := q.Get("listenerKey")
		p := n.portByKeyLocked(key)
		if p == nil || (pkg != "" && p.pkg != pkg) {
			if n.c.opts.Variants.UnknownPortEmpty {
				writeJSON(w, http.StatusOK, portObject{Key: key, Pkg: pkg})
				return
			}
			writePortError(w, http.StatusBadRequest, key, pkg, "Listener %s does not exist", key)
			return
		}
		writeJSON(w, http.StatusOK, n.portObjectLocked(p))
		return
	}
	list := []portObject{}
	for _, p := range n.ports {
		if pkg == "" || p.pkg == pkg {
			list = append(list, n.portObjectLocked(p))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"listeners": list})
}

// createPort adds a disabled port; it listens once enabled.
func (n *Node) createPort(w http.ResponseWriter, r *http.Request) {
	m := readPortBody(w, r, http.StatusBadRequest, "")
	if m == nil {
		return
	}
	factory := looseString(m["factoryKey"])
	if factory == "" {
		factory = factoryHTTP
	}
	pkg := looseString(m["pkg"])
	if pkg == "" {
		pkg = "WmRoot"
	}
	alias := looseString(m["portAlias"])
	number, present, err := looseInt(m["port"])
	bindAddr := looseString(m["bindAddress"])
	switch {
	case err != nil:
		writePortError(w, http.StatusBadRequest, "", pkg, "Invalid port: %v", err)
		return
	case !present:
		writePortError(w, http.StatusBadRequest, "", pkg, "Port number is required")
		return
	case number < 1 || number > 65535:
		writePortError(w, http.StatusBadRequest, "", pkg, "Port number %d is out of range 1-65535", number)
		return
	case factory != factoryHTTP && factory != factoryHTTPS:
		writePortError(w, http.StatusBadRequest, "", pkg, "Unsupported factoryKey %q", factory)
		return
	case factory == factoryHTTPS && n.c.opts.TLS == nil:
		writePortError(w, http.StatusBadRequest, "", pkg, "HTTPS ports need a keystore; none is configured")
		return
	case pkg != "WmRoot" && pkg != "WmPublic":
		writePortError(w, http.StatusBadRequest, "", pkg, "Package %s does not exist or cannot hold ports", pkg)
		return
	case alias == "":
		writePortError(w, http.StatusBadRequest, "", pkg, "portAlias is required")
		return
	case !aliasPattern.MatchString(alias):
		writePortError(w, http.StatusBadRequest, "", pkg, "Invalid portAlias %q", alias)
		return
	}
	proto := protoHTTP
	if factory == factoryHTTPS {
		proto = protoHTTPS
	}
	key := proto + "Listener@" + itoa(int(number))
	if bindAddr != "" {
		key += "@" + bindAddr
	}

	n.mu.Lock()
	if old := n.findPortLocked(int(number)); old != nil {
		n.mu.Unlock()
		writePortError(w, http.StatusBadRequest, old.key, pkg, "Port %d is already in use by listener %s", number, old.key)
		return
	}
	if old := n.portByAliasLocked(alias); old != nil {
		n.mu.Unlock()
		writePortError(w, http.StatusBadRequest, old.key, pkg, "Port alias %s is already used by listener %s", alias, old.key)
		return
	}
	// A new port lets every service through [inferred: apigw-api.md].
	p := &port{key: key, alias: alias, pkg: pkg, factoryKey: factory, protocol: proto, number: int(number), accessMode: accessAllow}
	n.ports = append(n.ports, p)
	obj := n.portObjectLocked(p)
	n.c.emit(n.name, EventPortCreated, fmt.Sprintf("%s alias %s pkg %s", key, alias, pkg))
	n.mu.Unlock()

	obj.Status = "success"
	obj.ListenerKey = key
	status := http.StatusCreated
	if n.c.opts.Variants.PortCreatedOK {
		status = http.StatusOK
	}
	writeJSON(w, status, obj)
}

// readPortBody reads the JSON object body of a ports call. When the body is
// not one it answers the ports API's error with status and the listener key
// the call names, and returns nil.
func readPortBody(w http.ResponseWriter, r *http.Request, status int, key string) map[string]json.RawMessage {
	m, err := readObject(r)
	if err != nil {
		writePortError(w, status, key, "", "%v", err)
		return nil
	}
	return m
}

// portChange changes one port p under the node's lock and answers the call.
// The listener it returns, if any, is closed once the lock is released: a
// call may take away the listener it is served on.
type portChange func(w http.ResponseWriter, p *port, body map[string]json.RawMessage) (closeLater *server)

// changeNamedPort serves a call whose JSON body names a port by listener key
// and package (enable and disable send {listenerKey, pkg}, and the
// tutorial's extra "requestServiceStatus" is accepted and ignored; PUT
// /ports sends the port object). The key is the first of keyFields that is
// set; a body without one is refused as keyFields[0] being required.
func (n *Node) changeNamedPort(w http.ResponseWriter, r *http.Request, change portChange, keyFields ...string) {
	m := readPortBody(w, r, http.StatusBadRequest, "")
	if m == nil {
		return
	}
	key := ""
	for _, f := range keyFields {
		if key = looseString(m[f]); key != "" {
			break
		}
	}
	pkg := looseString(m["pkg"])
	if key == "" {
		writePortError(w, http.StatusBadRequest, "", pkg, "%s is required", keyFields[0])
		return
	}
	var closeLater *server
	defer n.c.closeAfter(&closeLater)
	n.mu.Lock()
	defer n.mu.Unlock()
	if p := n.namedPortLocked(w, key, pkg); p != nil {
		closeLater = change(w, p, m)
	}
}

// enablePortLocked is PUT /rest/apigateway/ports/enable.
func (n *Node) enablePortLocked(w http.ResponseWriter, p *port, _ map[string]json.RawMessage) *server {
	was := p.enabled
	p.enabled = true
	if err := n.openLocked(p); err != nil {
		p.enabled = was
		writePortError(w, http.StatusInternalServerError, p.key, p.pkg, "Unable to start listener %s: %v", p.key, err)
		return nil
	}
	if !was {
		n.c.emit(n.name, EventPortEnabled, p.key)
	}
	writeJSON(w, http.StatusOK, portRef(p))
	return nil
}

// disablePortLocked is PUT /rest/apigateway/ports/disable.
func (n *Node) disablePortLocked(w http.ResponseWriter, p *port, _ map[string]json.RawMessage) *server {
	if !n.mayTakeDownLocked(w, p, "disabled") {
		return nil
	}
	closeLater := n.listeners[p.key]
	delete(n.listeners, p.key)
	if p.enabled {
		p.enabled = false
		n.c.emit(n.name, EventPortDisabled, p.key)
	}
	writeJSON(w, http.StatusOK, portRef(p))
	return closeLater
}

// portRef is a port as the calls that name one answer it.
func portRef(p *port) map[string]string { return map[string]string{"listenerKey": p.key, "pkg": p.pkg} }

// namedPortLocked finds the port a request names by listener key and
// package, or answers the vendor's 400 and returns nil.
func (n *Node) namedPortLocked(w http.ResponseWriter, key, pkg string) *port {
	p := n.portByKeyLocked(key)
	if p == nil || (pkg != "" && pkg != p.pkg) {
		writePortError(w, http.StatusBadRequest, key, pkg, "Listener %s does not exist in package %s", key, cmp.Or(pkg, "WmRoot"))
		return nil
	}
	return p
}

// mayTakeDownLocked says whether p may be done (disabled, deleted), or
// answers the vendor's error: never the primary port, and not the quiesce
// port while the server is in quiesce mode.
func (n *Node) mayTakeDownLocked(w http.ResponseWriter, p *port, done string) bool {
	switch {
	case p.primary:
		writePortError(w, http.StatusBadRequest, p.key, p.pkg, "The primary port cannot be %s", done)
		return false
	case p == n.quiescePortLocked() && n.quiesceLocked():
		writePortError(w, http.StatusInternalServerError, p.key, p.pkg, "The quiesce port cannot be %s while the server is in quiesce mode", done)
		return false
	}
	return true
}

func (n *Node) deletePort(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	key, pkg := q.Get("listenerKey"), q.Get("pkg")
	if key == "" {
		writePortError(w, http.StatusBadRequest, "", pkg, "listenerKey is required")
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	p := n.namedPortLocked(w, key, pkg)
	if p == nil || !n.mayTakeDownLocked(w, p, "deleted") {
		return
	}
	if p.enabled {
		writePortError(w, http.StatusBadRequest, p.key, p.pkg, "Listener %s is enabled; disable it before deleting it", p.key)
		return
	}
	for i, q := range n.ports {
		if q == p {
			n.ports = append(n.ports[:i:i], n.ports[i+1:]...)
			break
		}
	}
	n.c.emit(n.name, EventPortDeleted, p.key)
	writeJSON(w, http.StatusOK, map[string]string{"listenerKey": p.key, "pkg": p.pkg, "message": "Listener " + p.key + " deleted"})
}

// runningLocked: the incarnation is up and may open listeners.
func (n *Node) runningLocked() bool {
	switch n.state {
	case StateReady, StateStarting, StateQuiescing:
		return true
	}
	return false
}

// quiesceLocked: quiesce for all is in progress or done.
func (n *Node) quiesceLocked() bool {
	return n.state == StateQuiescing || n.state == StateQuiesced
}

// quiescePortDetails answers getQuiescePortDetails.
func (n *Node) quiescePortDetails() map[string]string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := map[string]string{}
	if n.quiesceAlias == "" {
		return out
	}
	out["portAlias"] = n.quiesceAlias
	if p := n.quiescePortLocked(); p != nil {
		out["portKey"] = p.key
		out["portPackage"] = p.pkg
	}
	return out
}
