package apigw

import (
	"fmt"
	"net/url"
	"strings"
)

// endpoint joins a node base URL and an API path. It tolerates a trailing
// slash and a path prefix (for a gateway behind a reverse proxy), drops any
// user:password@ part (credentials come from Config only) and returns both
// the URL to request and the form to show in messages.
func endpoint(nodeURL, path string, query url.Values) (target, shown string, err error) {
	u, err := parseNodeURL(nodeURL)
	if err != nil {
		return "", "", err
	}
	u.Path = strings.TrimRight(u.Path, "/") + path
	u.RawPath = ""
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	return u.String(), redactURL(u), nil
}

func parseNodeURL(nodeURL string) (*url.URL, error) {
	raw := strings.TrimSpace(nodeURL)
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid node URL %q: use the form https://host:5555", redactRaw(raw))
	}
	scheme := strings.ToLower(u.Scheme)
	if (scheme != "http" && scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid node URL %q: use the form https://host:5555", redactURL(u))
	}
	u.Scheme = scheme
	u.User = nil
	u.RawQuery = ""
	u.Fragment = ""
	return u, nil
}

// redactURL renders u without its user information.
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	return c.String()
}

// redactRaw hides the user information of a URL that did not parse.
func redactRaw(raw string) string {
	i := strings.Index(raw, "//")
	if i < 0 {
		return raw
	}
	rest := raw[i+2:]
	authority := rest
	if end := strings.IndexAny(rest, "/?#"); end >= 0 {
		authority = rest[:end]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return raw
	}
	return raw[:i+2] + "redacted@" + rest[at+1:]
}
