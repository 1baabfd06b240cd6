package apigw

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzErrorMessage(f *testing.F) {
	for _, s := range []string{
		`{"errorDetails":" Quiesce port is not set"}`,
		`{"listenerKey":"HTTPListener@4444","pkg":"WmRoot","message":"exists"}`,
		`{"status":"failure","failureReason":"flush failed"}`,
		`{"errorDetails":null,"message":7}`,
		`{"$error":"x"}`,
		"<html>oops</html>",
		"", " ", "\x00\xff", `{"errorDetails":"\u00e9"}`, `[]`, `{"errorDetails":{}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got := ErrorMessage(body)
		if got != strings.TrimSpace(got) {
			t.Fatalf("not trimmed: %q", got)
		}
		if strings.TrimSpace(string(body)) == "" && got != "" {
			t.Fatalf("blank body gave %q", got)
		}
		var fields map[string]any
		if json.Unmarshal(body, &fields) == nil {
			if d, ok := fields["errorDetails"].(string); ok && strings.TrimSpace(d) != "" && got != strings.TrimSpace(d) {
				t.Fatalf("errorDetails %q not preferred: %q", d, got)
			}
		}
	})
}

func FuzzDecodeServerInfo(f *testing.F) {
	for _, s := range []string{
		sampleServerInfo,
		`{"version":10.5,"build":77}`,
		`{"patch_nums":["b","a","a"]}`,
		`{"patch_nums":"Fix1,Fix2"}`,
		`{"patch_nums":{"x":null}}`,
		`{"LicenseDetails":{"productInformation":{"Product Version":1}}}`,
		`{"systemInfo":[]}`, `null`, `{}`, `[`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := decodeServerInfo(data)
		if err != nil {
			return
		}
		if !sort.StringsAreSorted(info.Fixes) {
			t.Fatalf("fixes not sorted: %q", info.Fixes)
		}
		for i, fx := range info.Fixes {
			if fx == "" || fx != strings.TrimSpace(fx) || (i > 0 && info.Fixes[i-1] == fx) {
				t.Fatalf("bad fixes: %q", info.Fixes)
			}
		}
		for _, s := range []string{info.Version, info.Build, info.Hostname, info.ProductVersion} {
			if s != strings.TrimSpace(s) {
				t.Fatalf("untrimmed field %q", s)
			}
		}
	})
}

func FuzzDecodePort(f *testing.F) {
	for _, s := range []string{
		`{"uniqueID":"u","key":"HTTPListener@4444","port":"4444","enabled":"true","suspended":"false"}`,
		`{"uniqueID":"u","listenerKey":"HTTPSListener@4443@0.0.0.0","enabled":true}`,
		`{"listenerKey":"HTTPListener@4444"}`,
		`{"uniqueID":1,"port":4444.0,"factoryKey":"webMethods/HTTPS","enabled":"TRUE"}`,
		`{"port":"x"}`, `{"enabled":"maybe"}`, `null`, `{}`, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, found, err := decodePort(data)
		if err != nil {
			return
		}
		if found != (p.UniqueID != "") {
			t.Fatalf("found=%v with uniqueID %q", found, p.UniqueID)
		}
		// Decoding what the client would encode gives the same port back.
		again := roundTrip(t, p)
		if utf8.Valid(data) && !reflect.DeepEqual(again, p) {
			t.Fatalf("round trip changed the port:\n%+v\n%+v", p, again)
		}
		if third := roundTrip(t, again); !reflect.DeepEqual(third, again) {
			t.Fatalf("round trip not stable:\n%+v\n%+v", again, third)
		}
	})
}

func roundTrip(t *testing.T, p Port) Port {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	q, _, err := decodePort(b)
	if err != nil {
		t.Fatalf("re-decoding %s: %v", b, err)
	}
	return q
}
