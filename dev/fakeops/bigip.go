package fakeops

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// BigIP answers the iControl REST calls that take a pool member out of a
// BIG-IP pool and put it back: read a member, PATCH its session and state,
// read its statistics. Its health monitor is real: a member's state is
// "up" while its node's health URL answers 200, "down" otherwise. A member
// disabled with connections open loses one of them at every statistics
// read, as clients finish.
type BigIP struct {
	Username, Password string
	Partition, Pool    string
	// Conns are the connections every member has open when the test
	// starts, and again once it is enabled (default 2).
	Conns int

	mu       sync.Mutex
	members  map[string]*bigipMember // by "name:port"
	requests []BigIPRequest
	client   *http.Client
}

type bigipMember struct {
	health  string // URL whose 200 means up
	session string // user-enabled or user-disabled
	forced  bool   // state user-down: forced offline
	conns   int
}

// BigIPRequest is one call the BIG-IP answered, with the member's state
// after it.
type BigIPRequest struct {
	At      time.Time
	Method  string
	Member  string // "name:port"; "" when the path names none
	Stats   bool   // a statistics read
	Body    string
	Status  int
	Session string // the member's session after the call
	State   string // its state in the answer of a member read or PATCH
	Conns   int    // its connections after the call
}

// NewBigIP serves one pool whose members ("name:port") are watched by a
// health monitor on the given URLs.
func NewBigIP(user, password, partition, pool string, health map[string]string) *BigIP {
	b := &BigIP{Username: user, Password: password, Partition: partition, Pool: pool, Conns: 2,
		members: map[string]*bigipMember{}, client: &http.Client{Timeout: 2 * time.Second}}
	for m, url := range health {
		b.members[m] = &bigipMember{health: url, session: "user-enabled", conns: b.Conns}
	}
	return b
}

// Requests returns the calls answered so far, oldest first.
func (b *BigIP) Requests() []BigIPRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]BigIPRequest(nil), b.requests...)
}

// Member reports a member's session ("user-enabled", "user-disabled") and
// open connections.
func (b *BigIP) Member(name string) (session string, conns int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.members[name]
	if m == nil {
		return "", 0
	}
	return m.session, m.conns
}

func (b *BigIP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	name, stats, ok := b.memberPath(r.URL.Path)
	rec := BigIPRequest{At: time.Now(), Method: r.Method, Member: name, Stats: stats, Body: string(body)}
	status, answer := b.answer(r, name, stats, ok, string(body))
	if m, isMember := answer.(map[string]any); isMember && !stats {
		rec.State, _ = m["state"].(string)
	}
	b.mu.Lock()
	if m := b.members[name]; m != nil {
		rec.Session, rec.Conns = m.session, m.conns
	}
	rec.Status = status
	b.requests = append(b.requests, rec)
	b.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(answer)
}

// memberPath reads /mgmt/tm/ltm/pool/~P~POOL/members/~P~NAME:PORT[/stats].
func (b *BigIP) memberPath(p string) (name string, stats, ok bool) {
	rest, ok := strings.CutPrefix(p, "/mgmt/tm/ltm/pool/"+b.ref(b.Pool)+"/members/")
	if !ok {
		return "", false, false
	}
	rest, stats = strings.CutSuffix(rest, "/stats")
	name, ok = strings.CutPrefix(rest, b.ref(""))
	return name, stats, ok && name != ""
}

func (b *BigIP) ref(name string) string { return "~" + b.Partition + "~" + name }

func bigipError(code int, format string, args ...any) (int, any) {
	return code, map[string]any{"code": code, "message": fmt.Sprintf(format, args...), "errorStack": []string{}, "apiError": 3}
}

func (b *BigIP) answer(r *http.Request, name string, stats, ok bool, body string) (int, any) {
	if u, p, basic := r.BasicAuth(); !basic || u != b.Username || p != b.Password {
		return bigipError(http.StatusUnauthorized, "Authorization failed: no user authentication header or token detected. URI: %s", r.URL.Path)
	}
	if !ok {
		return bigipError(http.StatusNotFound, "Public URI path not registered: %s", r.URL.Path)
	}
	b.mu.Lock()
	m := b.members[name]
	b.mu.Unlock()
	if m == nil {
		host, port, _ := strings.Cut(name, ":")
		return bigipError(http.StatusNotFound, "01020036:3: The requested Pool Member (/%s/%s /%s/%s %s) was not found.", b.Partition, b.Pool, b.Partition, host, port)
	}
	up := b.monitorUp(m)
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case r.Method == http.MethodGet && stats:
		if m.session == "user-disabled" && m.conns > 0 {
			m.conns--
		}
		return http.StatusOK, b.statsJSON(name, m, up)
	case r.Method == http.MethodGet:
		return http.StatusOK, b.memberJSON(name, m, up)
	case r.Method == http.MethodPatch && !stats:
		var patch struct {
			Session string `json:"session"`
			State   string `json:"state"`
		}
		if err := json.Unmarshal([]byte(body), &patch); err != nil {
			return bigipError(http.StatusBadRequest, "Found invalid JSON body in the request.")
		}
		switch patch.Session {
		case "", "user-enabled", "user-disabled":
		default:
			return bigipError(http.StatusBadRequest, "invalid property value \"session\":%q", patch.Session)
		}
		switch patch.State {
		case "", "user-up", "user-down":
		default:
			return bigipError(http.StatusBadRequest, "invalid property value \"state\":%q", patch.State)
		}
		if patch.Session != "" {
			if m.session == "user-disabled" && patch.Session == "user-enabled" {
				m.conns = b.Conns // clients come back
			}
			m.session = patch.Session
		}
		if patch.State != "" {
			m.forced = patch.State == "user-down"
		}
		return http.StatusOK, b.memberJSON(name, m, up)
	}
	return bigipError(http.StatusMethodNotAllowed, "Method %s not allowed on %s", r.Method, r.URL.Path)
}

func (b *BigIP) monitorUp(m *bigipMember) bool {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, m.health, http.NoBody)
	if err != nil {
		return false
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// memberJSON is a member as GET shows it: session monitor-enabled once
// enabled (the pool has a monitor), state up or down from the monitor, or
// user-down when forced offline.
func (b *BigIP) memberJSON(name string, m *bigipMember, up bool) map[string]any {
	session, state := "monitor-enabled", "down"
	if m.session == "user-disabled" {
		session = "user-disabled"
	}
	if up {
		state = "up"
	}
	if m.forced {
		state = "user-down"
	}
	host, _, _ := strings.Cut(name, ":")
	return map[string]any{
		"kind": "tm:ltm:pool:members:membersstate", "name": name, "partition": b.Partition,
		"fullPath": "/" + b.Partition + "/" + name, "address": host, "monitor": "default",
		"session": session, "state": state,
	}
}

func (b *BigIP) statsJSON(name string, m *bigipMember, up bool) map[string]any {
	self := "https://localhost/mgmt/tm/ltm/pool/" + b.ref(b.Pool) + "/members/" + b.ref(name)
	avail, enabled := "offline", "enabled"
	if up {
		avail = "available"
	}
	if m.session == "user-disabled" {
		enabled = "disabled"
	}
	return map[string]any{
		"kind": "tm:ltm:pool:members:membersstats", "selfLink": self + "/stats?ver=16.1.0",
		"entries": map[string]any{
			self + "/" + b.ref(name) + "/stats": map[string]any{"nestedStats": map[string]any{
				"kind": "tm:ltm:pool:members:membersstats",
				"entries": map[string]any{
					"serverside.curConns":      map[string]any{"value": m.conns},
					"status.availabilityState": map[string]any{"description": avail},
					"status.enabledState":      map[string]any{"description": enabled},
				},
			}},
		},
	}
}
