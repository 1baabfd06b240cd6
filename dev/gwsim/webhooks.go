package gwsim

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"
)

// webhook is a registration kept in the shared data store, so every node
// sees the same list.
type webhook struct {
	ID     string        `json:"id"`
	Config webhookConfig `json:"config"`
	Events []string      `json:"events"`
	Active bool          `json:"active"`
}

type webhookConfig struct {
	URL      string            `json:"url"`
	Headers  map[string]string `json:"headers,omitempty"`
	Username string            `json:"username,omitempty"`
	Password string            `json:"password,omitempty"`
}

type webhooks struct {
	mu   sync.Mutex
	list []*webhook
}

func newWebhooks() *webhooks { return &webhooks{} }

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// handleWebhooks serves /rest/apigateway/webhooks: create, list, get and
// delete.
func (n *Node) handleWebhooks(w http.ResponseWriter, r *http.Request) {
	hooks := n.c.hooks
	id := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/rest/apigateway/webhooks"), "/")
	switch {
	case id == "" && r.Method == http.MethodPost:
		b, err := readBody(r)
		if err != nil {
			writeError(w, http.StatusBadRequest, "%v", err)
			return
		}
		var h webhook
		if err := json.Unmarshal(b, &h); err != nil || h.Config.URL == "" || len(h.Events) == 0 {
			writeError(w, http.StatusBadRequest, "A webhook needs config.url and at least one event")
			return
		}
		h.ID = newID()
		hooks.mu.Lock()
		hooks.list = append(hooks.list, &h)
		hooks.mu.Unlock()
		writeJSON(w, http.StatusCreated, h)
	case id == "" && r.Method == http.MethodGet:
		hooks.mu.Lock()
		list := make([]webhook, 0, len(hooks.list))
		for _, h := range hooks.list {
			list = append(list, *h)
		}
		hooks.mu.Unlock()
		if len(list) == 0 {
			writeError(w, http.StatusNotFound, "No records found")
			return
		}
		writeJSON(w, http.StatusOK, list)
	case id != "" && (r.Method == http.MethodGet || r.Method == http.MethodDelete):
		hooks.mu.Lock()
		defer hooks.mu.Unlock()
		for i, h := range hooks.list {
			if h.ID != id {
				continue
			}
			if r.Method == http.MethodGet {
				writeJSON(w, http.StatusOK, h)
				return
			}
			hooks.list = append(hooks.list[:i:i], hooks.list[i+1:]...)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeError(w, http.StatusNotFound, "Webhook %s not found", id)
	default:
		writeError(w, http.StatusMethodNotAllowed, "Method %s not allowed on %s", r.Method, r.URL.Path)
	}
}

// fireWebhooks delivers event to every active webhook subscribed to it. The
// vendor does not document the payload; this one names the event, the node
// and the time.
func (c *Cluster) fireWebhooks(node, event string) {
	c.hooks.mu.Lock()
	var targets []webhook
	for _, h := range c.hooks.list {
		if !h.Active {
			continue
		}
		for _, e := range h.Events {
			if e == event {
				targets = append(targets, *h)
				break
			}
		}
	}
	c.hooks.mu.Unlock()
	for _, h := range targets {
		c.work.Go(func() { c.deliver(h, node, event) })
	}
}

func (c *Cluster) deliver(h webhook, node, event string) {
	body, _ := json.Marshal(map[string]string{
		"event":     event,
		"node":      node,
		"status":    "success",
		"timestamp": time.Now().UTC().Format(time.RFC3339Nano),
	})
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.Config.URL, bytes.NewReader(body))
	if err != nil {
		c.emit(node, EventWebhookSent, "bad URL: "+err.Error())
		return
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range h.Config.Headers {
		req.Header.Set(k, v)
	}
	if h.Config.Username != "" {
		req.SetBasicAuth(h.Config.Username, h.Config.Password)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		c.emit(node, EventWebhookSent, event+" to "+h.Config.URL+" failed: "+err.Error())
		return
	}
	_ = resp.Body.Close()
	c.emit(node, EventWebhookSent, event+" to "+h.Config.URL+": "+resp.Status)
}
