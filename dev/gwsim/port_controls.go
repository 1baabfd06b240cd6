package gwsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Access modes of a port (Integration Server's "allow by default" and "deny
// by default"). A quiesce port must be in access mode allow.
const (
	accessAllow = "allow"
	accessDeny  = "deny"
)

// accessDenied answers 403 for a request on a port in access mode deny: no
// service is reachable through it (the simulator keeps no per-service
// list, so deny blocks everything, health included).
func (n *Node) accessDenied(w http.ResponseWriter, r *http.Request, p *port) bool {
	n.mu.Lock()
	mode := p.accessMode
	n.mu.Unlock()
	if mode != accessDeny {
		return false
	}
	writeError(w, http.StatusForbidden, "Access to %s is denied on port %d: its access mode is deny", r.URL.Path, p.number)
	return true
}

// handleAccessMode serves /rest/apigateway/ports/{listenerKey}/accessMode:
// GET shows the port, POST sets {"accessMode": "allow"|"deny"}.
func (n *Node) handleAccessMode(w http.ResponseWriter, r *http.Request, key string) {
	switch r.Method {
	case http.MethodGet:
		n.mu.Lock()
		defer n.mu.Unlock()
		p := n.portByKeyLocked(key)
		if p == nil {
			writePortError(w, http.StatusNotFound, key, "", "Listener %s does not exist", key)
			return
		}
		writeJSON(w, http.StatusOK, n.portObjectLocked(p))
	case http.MethodPost:
		n.setAccessMode(w, r, key)
	default:
		writeError(w, http.StatusMethodNotAllowed, "%s %s is not supported by the simulator", r.Method, r.URL.Path)
	}
}

func (n *Node) setAccessMode(w http.ResponseWriter, r *http.Request, key string) {
	m := readPortBody(w, r, http.StatusInternalServerError, key)
	if m == nil {
		return
	}
	mode := looseString(m["accessMode"])
	n.mu.Lock()
	defer n.mu.Unlock()
	p := n.portByKeyLocked(key)
	switch {
	case p == nil:
		writePortError(w, http.StatusNotFound, key, "", "Listener %s does not exist", key)
		return
	case mode != accessAllow && mode != accessDeny:
		writePortError(w, http.StatusInternalServerError, p.key, p.pkg, "Invalid accessMode %q: use %q or %q", mode, accessAllow, accessDeny)
		return
	}
	if p.accessMode != mode {
		p.accessMode = mode
		n.c.emit(n.name, EventPortAccessMode, p.key+" "+mode)
	}
	writeJSON(w, http.StatusOK, map[string]string{"accessMode": mode})
}

// updatePortLocked is PUT /rest/apigateway/ports: the body is the port
// object (as GET shows it) with changed settings. The simulator models one
// setting it can change this way, "suspended"; a body that would change
// anything else it models is refused with the call that does it.
func (n *Node) updatePortLocked(w http.ResponseWriter, p *port, m map[string]json.RawMessage) (closeLater *server) {
	if msg := n.unchangeableLocked(p, m); msg != "" {
		writePortError(w, http.StatusBadRequest, p.key, p.pkg, "%s", msg)
		return nil
	}
	suspend, present, err := looseBool(m["suspended"])
	switch {
	case err != nil:
		writePortError(w, http.StatusBadRequest, p.key, p.pkg, "suspended: %v", err)
		return nil
	case present && suspend && p.primary:
		writePortError(w, http.StatusBadRequest, p.key, p.pkg, "The primary port cannot be suspended")
		return nil
	case present && suspend != p.suspended:
		p.suspended = suspend
		if suspend {
			closeLater = n.listeners[p.key]
			delete(n.listeners, p.key)
			n.c.emit(n.name, EventPortSuspended, p.key)
		} else {
			if err := n.openLocked(p); err != nil {
				p.suspended = true
				writePortError(w, http.StatusInternalServerError, p.key, p.pkg, "Unable to resume listener %s: %v", p.key, err)
				return nil
			}
			n.c.emit(n.name, EventPortResumed, p.key)
		}
	}
	writeJSON(w, http.StatusOK, n.portObjectLocked(p))
	return closeLater
}

// openLocked opens p's listener when p should be listening (enabled, not
// suspended, the node running) and is not yet.
func (n *Node) openLocked(p *port) error {
	if _, open := n.listeners[p.key]; open || !p.listens() || !n.runningLocked() {
		return nil
	}
	ln, err := n.c.bind(p.number)
	if err != nil {
		return err
	}
	n.listenLocked(p, ln)
	return nil
}

// unchangeableLocked says why the update body m cannot be applied to p:
// it changes a setting that PUT /ports does not change in the simulator.
func (n *Node) unchangeableLocked(p *port, m map[string]json.RawMessage) string {
	for field, have := range map[string]string{
		"port": itoa(p.number), "portAlias": p.alias, "factoryKey": p.factoryKey, "protocol": p.protocol,
		"enabled": boolString(p.enabled), "accessMode": p.accessMode,
	} {
		raw, ok := m[field]
		if !ok {
			continue
		}
		got := looseString(raw)
		if got == "" || strings.EqualFold(got, have) {
			continue
		}
		switch field {
		case "enabled":
			return "enabled cannot be changed here: use PUT /rest/apigateway/ports/enable or /disable"
		case "accessMode":
			return "accessMode cannot be changed here: use POST /rest/apigateway/ports/{listenerKey}/accessMode"
		}
		return fmt.Sprintf("%s cannot be changed (%s → %s): delete the port and create it again", field, have, got)
	}
	return ""
}
