package gwsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// decodeStrict decodes one JSON value and refuses unknown fields and
// trailing data.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after JSON value")
	}
	return nil
}

// parseDurationJSON accepts "1.5s" or a number of nanoseconds; empty is 0.
func parseDurationJSON(raw json.RawMessage) (time.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s == "" {
			return 0, nil
		}
		return time.ParseDuration(s)
	}
	var ns int64
	if err := json.Unmarshal(raw, &ns); err != nil {
		return 0, fmt.Errorf("want a duration string such as \"1s\", got %s", raw)
	}
	return time.Duration(ns), nil
}

// looseBool reads the vendor's booleans, which arrive as JSON booleans or as
// strings ("true", "false", "yes", "no").
func looseBool(raw json.RawMessage) (val, present bool, err error) {
	if len(raw) == 0 || string(raw) == "null" {
		return false, false, nil
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b, true, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "yes":
			return true, true, nil
		case "false", "no", "":
			return false, true, nil
		}
	}
	return false, true, fmt.Errorf("not a boolean: %s", raw)
}

// looseInt reads a number sent as a JSON number or as a string ("4444").
func looseInt(raw json.RawMessage) (val int64, present bool, err error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false, nil
	}
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		if f != float64(int64(f)) {
			return 0, true, fmt.Errorf("not an integer: %s", raw)
		}
		return int64(f), true, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return 0, true, fmt.Errorf("not an integer: %q", s)
		}
		return i, true, nil
	}
	return 0, true, fmt.Errorf("not an integer: %s", raw)
}

// looseString reads a string, accepting numbers and booleans too; "" when
// absent or null.
func looseString(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return strings.TrimSpace(string(raw))
}

// readBody reads a request body of reasonable size.
func readBody(r *http.Request) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r.Body, 1<<20))
}

// readObject parses a request body as a JSON object of raw fields.
func readObject(r *http.Request) (map[string]json.RawMessage, error) {
	b, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, errors.New("empty request body")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("invalid JSON payload: %v", err)
	}
	if m == nil {
		return nil, errors.New("request body must be a JSON object")
	}
	return m, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError answers the gateway's generic error body. The leading space in
// the message is a vendor quirk clients must cope with.
func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"errorDetails": " " + fmt.Sprintf(format, args...)})
}

// writePortError answers the ports API's error body.
func writePortError(w http.ResponseWriter, status int, key, pkg, format string, args ...any) {
	writeJSON(w, status, map[string]string{"listenerKey": key, "pkg": pkg, "message": fmt.Sprintf(format, args...)})
}
