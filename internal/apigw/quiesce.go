package apigw

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

const (
	setQuiescePortPath = "/invoke/wm.server.quiesce/setQuiescePort"
	getQuiescePortPath = "/invoke/wm.server.quiesce/getQuiescePortDetails"
	quiesceModePath    = "/rest/apigateway/quiescemode"
)

// SetQuiescePort makes the port with this alias the node's quiesce port.
// Setting the same alias twice changes nothing, so it is retried.
func (c *Client) SetQuiescePort(ctx context.Context, nodeURL, alias string) error {
	cl := call{op: "set quiesce port", method: http.MethodPut, path: setQuiescePortPath,
		body: map[string]string{"portAlias": alias}, retry: true}
	_, err := c.do(ctx, nodeURL, cl)
	return err
}

// QuiescePortDetails names the node's quiesce port; all fields are empty
// when none is set.
type QuiescePortDetails struct{ PortAlias, PortKey, PortPackage string }

type quiescePortWire struct {
	PortAlias   flexString `json:"portAlias"`
	PortKey     flexString `json:"portKey"`
	PortPackage flexString `json:"portPackage"`
}

func (w quiescePortWire) empty() bool {
	return w.PortAlias == "" && w.PortKey == "" && w.PortPackage == ""
}

// GetQuiescePort reads the node's quiesce port. The answer's shape is not
// documented, so the fields are also looked for one object level down.
func (c *Client) GetQuiescePort(ctx context.Context, nodeURL string) (*QuiescePortDetails, error) {
	cl := call{op: "get quiesce port", method: http.MethodGet, path: getQuiescePortPath, retry: true}
	return fetch(ctx, c, nodeURL, cl, decodeQuiescePortDetails)
}

// decodeQuiescePortDetails reads getQuiescePortDetails' answer; an empty
// one means that no quiesce port is set.
func decodeQuiescePortDetails(data []byte) (*QuiescePortDetails, error) {
	if len(data) == 0 {
		return &QuiescePortDetails{}, nil
	}
	w, err := decodeQuiescePort(data)
	if err != nil {
		return nil, err
	}
	return &QuiescePortDetails{
		PortAlias:   strings.TrimSpace(string(w.PortAlias)),
		PortKey:     strings.TrimSpace(string(w.PortKey)),
		PortPackage: strings.TrimSpace(string(w.PortPackage)),
	}, nil
}

func decodeQuiescePort(data []byte) (quiescePortWire, error) {
	var w quiescePortWire
	if err := json.Unmarshal(data, &w); err != nil {
		return w, err
	}
	if !w.empty() {
		return w, nil
	}
	// Some versions wrap the answer in an object; when data is not an
	// object, nested stays empty and the flat (empty) answer stands.
	var nested map[string]json.RawMessage
	_ = json.Unmarshal(data, &nested)
	for _, raw := range nested {
		var inner quiescePortWire
		if json.Unmarshal(raw, &inner) == nil && !inner.empty() {
			return inner, nil
		}
	}
	return w, nil
}

// QuiesceMode is the quiesce setting of a node. Block is "all" or
// "designtime"; Status is "success", "failure", "in progress" or "" (the
// gateway's null: still working).
type QuiesceMode struct {
	Block         string   `json:"block"`
	Enable        bool     `json:"enable"`
	Flush         []string `json:"flush,omitempty"`
	Status        string   `json:"status"`
	FailureReason string   `json:"failureReason"`
}

// UnmarshalJSON accepts "enable" as a string and null status or reason.
func (m *QuiesceMode) UnmarshalJSON(data []byte) error {
	var w struct {
		Block         flexString `json:"block"`
		Enable        FlexBool   `json:"enable"`
		Flush         stringList `json:"flush"`
		Status        flexString `json:"status"`
		FailureReason flexString `json:"failureReason"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*m = QuiesceMode{
		Block:         strings.TrimSpace(string(w.Block)),
		Enable:        bool(w.Enable),
		Flush:         w.Flush,
		Status:        strings.TrimSpace(string(w.Status)),
		FailureReason: strings.TrimSpace(string(w.FailureReason)),
	}
	return nil
}

// SetQuiesceMode asks the node to enter (or, for designtime, leave) quiesce
// mode. It is never retried: quiesce for all cannot be undone through the
// API, and a repeat answers 409. A 409 (mode already in effect) satisfies
// IsConflict. An answer whose status is "failure" (the gateway may report
// a failure inside a 200) is a *FailureAnswerError carrying its
// failureReason. Otherwise the answer is returned as decoded; an empty
// answer echoes m.
func (c *Client) SetQuiesceMode(ctx context.Context, nodeURL string, m QuiesceMode) (*QuiesceMode, error) {
	body := struct {
		Block  string   `json:"block"`
		Flush  []string `json:"flush,omitempty"`
		Enable bool     `json:"enable"`
	}{m.Block, m.Flush, m.Enable}
	cl := call{op: "set quiesce mode", method: http.MethodPut, path: quiesceModePath, body: body}
	r, err := c.do(ctx, nodeURL, cl)
	if err != nil {
		return nil, err
	}
	echo := &QuiesceMode{Block: m.Block, Enable: m.Enable, Flush: m.Flush}
	if len(r.body) == 0 {
		return echo, nil
	}
	var ans QuiesceMode
	if err := r.decode(cl, &ans); err != nil {
		return nil, err
	}
	if strings.EqualFold(ans.Status, "failure") {
		return nil, &FailureAnswerError{Op: cl.op, Method: cl.method, URL: r.url, StatusCode: r.status, Reason: ans.FailureReason}
	}
	if ans.Block == "" { // an answer without the setting only carries status
		ans.Block, ans.Enable = m.Block, m.Enable
	}
	if ans.Flush == nil {
		ans.Flush = m.Flush
	}
	return &ans, nil
}

// GetQuiesceMode reads the quiesce setting. The gateway serves it only while
// its package runs, i.e. not under quiesce for all.
func (c *Client) GetQuiesceMode(ctx context.Context, nodeURL string) (*QuiesceMode, error) {
	cl := call{op: "get quiesce mode", method: http.MethodGet, path: quiesceModePath, retry: true}
	return fetch(ctx, c, nodeURL, cl, decodeJSON[QuiesceMode])
}
