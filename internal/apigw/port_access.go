package apigw

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// AccessModeAllow is the access mode (Integration Server's "allow by
// default") a quiesce port must have.
const AccessModeAllow = "allow"

// AccessAllowed reports whether p is in access mode allow. A port object
// without accessMode counts as allowed: nothing says otherwise.
func (p Port) AccessAllowed() bool {
	return p.AccessMode == "" || strings.EqualFold(p.AccessMode, AccessModeAllow)
}

// QuiesceUnfit says why the gateway would refuse p as its quiesce port
// ("" when it would not): quiesce mode for all needs a quiesce port that is
// enabled, not suspended and in access mode allow.
func (p Port) QuiesceUnfit() string {
	var why []string
	if !p.Enabled {
		why = append(why, "disabled")
	}
	if p.Suspended {
		why = append(why, "suspended")
	}
	if !p.AccessAllowed() {
		why = append(why, fmt.Sprintf("in access mode %q", p.AccessMode))
	}
	return strings.Join(why, ", ")
}

// SetPortAccessMode sets a port's access mode ("allow" or "deny") with
// POST /rest/apigateway/ports/{listenerKey}/accessMode. Setting the same
// mode twice changes nothing, so it is retried.
func (c *Client) SetPortAccessMode(ctx context.Context, nodeURL, listenerKey, mode string) error {
	_, err := c.do(ctx, nodeURL, call{op: "set port access mode", method: http.MethodPost,
		path: portsPath + "/" + listenerKey + "/accessMode", body: map[string]string{"accessMode": mode}, retry: true})
	return err
}

// SetPortSuspended suspends or resumes a port. The ports API changes a
// port's settings with PUT /rest/apigateway/ports and the whole port object,
// so the object is read first and sent back as it was, with only
// "suspended" changed. Nothing is sent when the port already is as asked.
// Sending the same object twice changes nothing, so it is retried.
func (c *Client) SetPortSuspended(ctx context.Context, nodeURL string, ref PortRef, suspended bool) error {
	const op = "update port"
	p, raw, err := c.getPort(ctx, nodeURL, ref.ListenerKey)
	if err != nil {
		return err
	}
	if p.Suspended == suspended {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return fmt.Errorf("%s: the port object of %s cannot be sent back: %w", op, ref.ListenerKey, err)
	}
	// Booleans go as strings, as the gateway sends them.
	obj["suspended"] = json.RawMessage(strconv.Quote(strconv.FormatBool(suspended)))
	if _, ok := obj["key"]; !ok {
		obj["key"], _ = json.Marshal(p.ListenerKey)
	}
	if _, ok := obj["pkg"]; !ok {
		obj["pkg"], _ = json.Marshal(pkgOrDefault(ref.Pkg))
	}
	_, err = c.do(ctx, nodeURL, call{op: op, method: http.MethodPut, path: portsPath, body: obj, retry: true})
	return err
}
