package apigw

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// FlexBool decodes a JSON boolean that the gateway may send either as a
// boolean or as a string ("true", "false"). It encodes as a plain boolean.
type FlexBool bool

// UnmarshalJSON accepts true/false, their string forms (any case, padded),
// "yes"/"no", "1"/"0", the numbers 1/0, an empty string and null (both false).
func (b *FlexBool) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if isNull(data) {
		*b = false
		return nil
	}
	var s string
	if len(data) > 0 && data[0] == '"' {
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("decoding boolean: %w", err)
		}
	} else {
		s = string(data)
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "1", "on":
		*b = true
	case "false", "no", "0", "off", "":
		*b = false
	default:
		return fmt.Errorf("decoding boolean: %q is neither true nor false", truncate(s, 64))
	}
	return nil
}

// FlexInt decodes a JSON integer that the gateway may send either as a number
// or as a string ("4444"). It encodes as a plain number.
type FlexInt int

// UnmarshalJSON accepts a number or a numeric string (padded or not), an
// empty string and null (both 0). Fractions and out-of-range values fail.
func (n *FlexInt) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if isNull(data) {
		*n = 0
		return nil
	}
	s := string(data)
	if len(data) > 0 && data[0] == '"' {
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("decoding integer: %w", err)
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*n = 0
			return nil
		}
	}
	v, err := parseInt(s)
	if err != nil {
		return err
	}
	*n = FlexInt(v)
	return nil
}

func parseInt(s string) (int, error) {
	if v, err := strconv.ParseInt(s, 10, strconv.IntSize); err == nil {
		return int(v), nil
	}
	// JSON allows 4444.0 and 4.444e3 for an integer value.
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, fmt.Errorf("decoding integer: %q is not an integer", truncate(s, 64))
	}
	return int(f), nil
}

// flexString decodes a JSON string that may arrive as a number or boolean
// instead; null becomes "". Objects and arrays are kept as compact JSON text.
type flexString string

func (s *flexString) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	switch {
	case isNull(data):
		*s = ""
	case len(data) > 0 && data[0] == '"':
		var v string
		if err := json.Unmarshal(data, &v); err != nil {
			return fmt.Errorf("decoding string: %w", err)
		}
		*s = flexString(v)
	default:
		var buf bytes.Buffer
		if err := json.Compact(&buf, data); err != nil {
			return fmt.Errorf("decoding string: %w", err)
		}
		*s = flexString(buf.String())
	}
	return nil
}

func isNull(data []byte) bool { return string(data) == "null" }

// truncate keeps error texts readable when a gateway answers with a page of
// HTML or a very long value.
func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// stringList decodes an array of strings, or a single comma-separated
// string, into a slice; null stays nil.
type stringList []string

func (l *stringList) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		var items []flexString
		if err := json.Unmarshal(data, &items); err != nil {
			return err
		}
		out := make([]string, 0, len(items))
		for _, it := range items {
			if s := strings.TrimSpace(string(it)); s != "" {
				out = append(out, s)
			}
		}
		*l = out
		return nil
	}
	var s flexString
	if err := s.UnmarshalJSON(data); err != nil {
		return err
	}
	if isNull(data) {
		*l = nil
		return nil
	}
	*l = strings.FieldsFunc(string(s), func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	if *l == nil {
		*l = []string{}
	}
	return nil
}
