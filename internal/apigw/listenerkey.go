package apigw

import (
	"fmt"
	"strconv"
	"strings"
)

// ListenerKey is the key the gateway gives a port it creates:
// "HTTPListener@4444" or, for protocol "HTTPS", "HTTPSListener@4444".
func ListenerKey(protocol string, port int) string {
	if strings.EqualFold(strings.TrimSpace(protocol), "HTTPS") {
		return fmt.Sprintf("HTTPSListener@%d", port)
	}
	return fmt.Sprintf("HTTPListener@%d", port)
}

// ParseListenerKey splits "HTTPListener@4444[@bindAddress]" into its
// protocol ("HTTP"), port and optional bind address.
func ParseListenerKey(key string) (protocol string, port int, bind string, ok bool) {
	parts := strings.SplitN(strings.TrimSpace(key), "@", 3)
	if len(parts) < 2 {
		return "", 0, "", false
	}
	kind, found := strings.CutSuffix(parts[0], "Listener")
	if !found || kind == "" {
		return "", 0, "", false
	}
	p, err := strconv.Atoi(parts[1])
	if err != nil || p < 1 || p > 65535 {
		return "", 0, "", false
	}
	if len(parts) == 3 {
		bind = parts[2]
	}
	return strings.ToUpper(kind), p, bind, true
}

// SameListener reports whether two listener keys name the same port. The
// gateway sometimes appends "@<bindAddress>"; a key without one matches a
// key with one, and two bind addresses must agree.
func SameListener(a, b string) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if strings.EqualFold(a, b) {
		return a != ""
	}
	pa, na, ba, oka := ParseListenerKey(a)
	pb, nb, bb, okb := ParseListenerKey(b)
	if !oka || !okb || pa != pb || na != nb {
		return false
	}
	return ba == "" || bb == "" || strings.EqualFold(ba, bb)
}
