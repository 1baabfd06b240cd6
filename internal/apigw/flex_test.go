package apigw

import (
	"encoding/json"
	"testing"
)

func TestFlexBool(t *testing.T) {
	cases := map[string]bool{
		`true`: true, `false`: false, `"true"`: true, `"false"`: false, `"TRUE"`: true,
		`" true "`: true, `"yes"`: true, `"no"`: false, `1`: true, `0`: false, `"1"`: true,
		`""`: false, `null`: false,
	}
	for in, want := range cases {
		var b FlexBool
		if err := json.Unmarshal([]byte(in), &b); err != nil || bool(b) != want {
			t.Errorf("%s: got %v, %v; want %v", in, b, err, want)
		}
	}
	for _, bad := range []string{`"maybe"`, `2`, `{}`, `[]`} {
		var b FlexBool
		if err := json.Unmarshal([]byte(bad), &b); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	out, _ := json.Marshal(struct{ B FlexBool }{true})
	if string(out) != `{"B":true}` {
		t.Errorf("marshal: %s", out)
	}
}

func TestFlexInt(t *testing.T) {
	cases := map[string]int{
		`4444`: 4444, `"4444"`: 4444, `" 4444 "`: 4444, `4444.0`: 4444, `4.444e3`: 4444,
		`""`: 0, `null`: 0, `-3`: -3, `"0"`: 0,
	}
	for in, want := range cases {
		var n FlexInt
		if err := json.Unmarshal([]byte(in), &n); err != nil || int(n) != want {
			t.Errorf("%s: got %v, %v; want %v", in, n, err, want)
		}
	}
	for _, bad := range []string{`"44x"`, `4444.5`, `true`, `{}`, `1e300`, `"NaN"`} {
		var n FlexInt
		if err := json.Unmarshal([]byte(bad), &n); err == nil {
			t.Errorf("%s: no error, got %d", bad, n)
		}
	}
	out, _ := json.Marshal(struct{ N FlexInt }{4444})
	if string(out) != `{"N":4444}` {
		t.Errorf("marshal: %s", out)
	}
}

func TestFlexStringAndList(t *testing.T) {
	cases := map[string]string{`"a"`: "a", `10`: "10", `true`: "true", `null`: "", `{"a": 1}`: `{"a":1}`}
	for in, want := range cases {
		var s flexString
		if err := json.Unmarshal([]byte(in), &s); err != nil || string(s) != want {
			t.Errorf("%s: got %q, %v", in, s, err)
		}
	}
	lists := map[string][]string{
		`["a"," b ",""]`: {"a", "b"}, `"a, b c"`: {"a", "b", "c"}, `null`: nil, `[]`: {},
	}
	for in, want := range lists {
		var l stringList
		if err := json.Unmarshal([]byte(in), &l); err != nil || len(l) != len(want) || (want == nil) != (l == nil) {
			t.Errorf("%s: got %#v, %v", in, l, err)
			continue
		}
		for i := range want {
			if l[i] != want[i] {
				t.Errorf("%s: got %#v", in, l)
			}
		}
	}
}

func TestTruncateKeepsRunes(t *testing.T) {
	s := "ééééé"
	got := truncate(s, 3)
	if got != "é…" {
		t.Errorf("got %q", got)
	}
	if truncate("abc", 3) != "abc" {
		t.Error("short string changed")
	}
}
