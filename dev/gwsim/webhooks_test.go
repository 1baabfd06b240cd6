package gwsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWebhookOnQuiesceCompleted(t *testing.T) {
	got := make(chan map[string]string, 4)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]string
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &m)
		if r.Header.Get("api-key") == "k" {
			m["api-key"] = "k"
		}
		got <- m
	}))
	defer receiver.Close()

	c := startCluster(t, Options{Nodes: 2})
	n, other := c.Nodes()[0], c.Nodes()[1]
	hooks := n.URL() + "/rest/apigateway/webhooks"
	expectStatus(t, do("GET", hooks, nil, true), http.StatusNotFound)
	a := do("POST", hooks, map[string]any{
		"config": map[string]any{"url": receiver.URL, "headers": map[string]string{"api-key": "k"}},
		"events": []string{"migration:quiesce:all:completed"}, "active": true,
	}, true)
	expectStatus(t, a, http.StatusCreated)
	id, _ := a.json(t)["id"].(string)
	if id == "" {
		t.Fatalf("no id: %s", a.body)
	}
	// The registration lives in the shared store: every node sees it.
	expectStatus(t, do("GET", other.URL()+"/rest/apigateway/webhooks/"+id, nil, true), http.StatusOK)
	expectStatus(t, do("POST", hooks, map[string]any{"events": []string{"x"}}, true), http.StatusBadRequest)

	setupQuiescePort(t, n)
	expectStatus(t, quiesceAll(n), http.StatusOK)
	m := <-got
	if m["event"] != "migration:quiesce:all:completed" || m["node"] != "gw-1" || m["api-key"] != "k" {
		t.Fatalf("delivered %v", m)
	}
	waitFor(t, "webhook event", func() bool { return indexOf(kinds(c.Events(), "gw-1"), EventWebhookSent) >= 0 })

	expectStatus(t, do("DELETE", other.URL()+"/rest/apigateway/webhooks/"+id, nil, true), http.StatusNoContent)
	expectStatus(t, do("GET", other.URL()+"/rest/apigateway/webhooks/"+id, nil, true), http.StatusNotFound)
}
