package gwsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// The control API lets tests and scripts in other processes act on the
// cluster the way an operator would act on real machines (restart a node on
// a new version, pull the plug, inject faults) and read the record (events,
// store, out-of-service count). It is plain HTTP JSON without auth, bound to
// the cluster's host.

// RestartRequest is the body of POST /nodes/{name}/restart.
type RestartRequest struct {
	Version  string `json:"version,omitempty"`
	Downtime string `json:"downtime,omitempty"` // Go duration, e.g. "1s"
	Fresh    bool   `json:"fresh,omitempty"`
}

func (c *Cluster) startControl() error {
	ln, err := c.bind(0)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /nodes", func(w http.ResponseWriter, r *http.Request) {
		out := make([]NodeStatus, 0, len(c.nodes))
		for _, n := range c.nodes {
			out = append(out, n.Status())
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("GET /nodes/{name}", c.withNode(func(w http.ResponseWriter, r *http.Request, n *Node) {
		writeJSON(w, http.StatusOK, n.Status())
	}))
	mux.HandleFunc("POST /nodes/{name}/restart", c.withNode(c.controlRestart))
	mux.HandleFunc("POST /nodes/{name}/stop", c.withNode(func(w http.ResponseWriter, r *http.Request, n *Node) {
		if err := n.Stop(); err != nil {
			controlError(w, http.StatusConflict, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, n.Status())
	}))
	mux.HandleFunc("GET /nodes/{name}/faults", c.withNode(func(w http.ResponseWriter, r *http.Request, n *Node) {
		writeJSON(w, http.StatusOK, n.Faults())
	}))
	mux.HandleFunc("PUT /nodes/{name}/faults", c.withNode(func(w http.ResponseWriter, r *http.Request, n *Node) {
		b, err := readBody(r)
		if err != nil {
			controlError(w, http.StatusBadRequest, err.Error())
			return
		}
		var f Faults
		if len(b) > 0 {
			if err := json.Unmarshal(b, &f); err != nil {
				controlError(w, http.StatusBadRequest, "faults: "+err.Error())
				return
			}
		}
		n.SetFaults(f)
		writeJSON(w, http.StatusOK, n.Faults())
	}))
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, c.Events())
	})
	mux.HandleFunc("GET /store", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, c.StoreTotals())
	})
	mux.HandleFunc("GET /out-of-service", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]int{"max": c.MaxOutOfService()})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		controlError(w, http.StatusNotFound, fmt.Sprintf("no control endpoint %s %s", r.Method, r.URL.Path))
	})
	c.control = c.serve(ln, false, mux)
	c.controlURL = "http://" + ln.Addr().String()
	return nil
}

// withNode resolves {name} or answers 404.
func (c *Cluster) withNode(h func(http.ResponseWriter, *http.Request, *Node)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n := c.Node(r.PathValue("name"))
		if n == nil {
			controlError(w, http.StatusNotFound, fmt.Sprintf("unknown node %q", r.PathValue("name")))
			return
		}
		h(w, r, n)
	}
}

// controlRestart restarts a node and answers once it has started (health
// may still answer 500).
func (c *Cluster) controlRestart(w http.ResponseWriter, r *http.Request, n *Node) {
	var req RestartRequest
	b, err := readBody(r)
	if err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	if len(b) > 0 {
		if err := decodeStrict(b, &req); err != nil {
			controlError(w, http.StatusBadRequest, "restart request: "+err.Error())
			return
		}
	}
	var downtime time.Duration
	if req.Downtime != "" {
		downtime, err = time.ParseDuration(req.Downtime)
		if err != nil || downtime < 0 {
			controlError(w, http.StatusBadRequest, fmt.Sprintf("downtime must be a non-negative Go duration, got %q", req.Downtime))
			return
		}
	}
	if err := n.Restart(RestartOptions{Version: req.Version, Downtime: downtime, Fresh: req.Fresh}); err != nil {
		controlError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, n.Status())
}

func controlError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
