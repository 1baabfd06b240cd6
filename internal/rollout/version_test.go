package rollout

import (
	"strings"
	"testing"
)

func TestValidateVersion(t *testing.T) {
	for _, v := range []string{"10", "10.15", "10.15.0.7", "10.15.0.7.1234", "010.5"} {
		if err := ValidateVersion(v); err != nil {
			t.Errorf("ValidateVersion(%q): %v", v, err)
		}
	}
	for _, v := range []string{"", ".", "10.", ".10", "10..15", "v10.15", "10.15.0.7-rc1", "10.15 ", " 10.15", "10,15", "１０.15"} {
		if err := ValidateVersion(v); err == nil {
			t.Errorf("ValidateVersion(%q) accepted", v)
		}
	}
}

// TestOnTargetAndSameRelease: what OnTarget and SameRelease say of the
// same pairs of versions (a reported one and a target): a node on target is
// in the target's release, and a node in it may still be off target.
func TestOnTargetAndSameRelease(t *testing.T) {
	for _, tc := range []struct {
		reported, target      string
		onTarget, sameRelease bool
	}{
		{"10.15.0.7.1234", "10.15.0.7", true, true},
		{"10.15.0.7", "10.15.0.7", true, true},
		{"10.15.0.07", "10.15.0.7", true, true},
		{"10.15.0.7.1234", "10.15", true, true},
		{"10.15.0.70", "10.15.0.7", false, true},
		{"10.15.0.6.9999", "10.15.0.7", false, true},
		{"10.15", "10.15.0.7", false, true},
		{"10.15.0.7", "10.15.0.9.1", false, true},
		{"10.15", "10.15.0.1", false, true},
		{"10.150.0.7", "10.15.0.7", false, false},
		{"10.11.0.7", "10.15.0.7", false, false},
		{"11.15.0.7", "10.15.0.7", false, false},
		{"10", "10.15", false, false},
		{"garbage", "10.15.0.7", false, false},
		{"x", "10.15", false, false},
		{"10.15.0.7", "garbage", false, false},
		{"", "10.15.0.7", false, false},
	} {
		if got := OnTarget(tc.reported, tc.target); got != tc.onTarget {
			t.Errorf("OnTarget(%q, %q) = %v, want %v", tc.reported, tc.target, got, tc.onTarget)
		}
		if got := SameRelease(tc.reported, tc.target); got != tc.sameRelease {
			t.Errorf("SameRelease(%q, %q) = %v, want %v", tc.reported, tc.target, got, tc.sameRelease)
		}
	}
}

func TestCompareToTarget(t *testing.T) {
	for _, tc := range []struct {
		reported, target string
		want             int
	}{
		{"10.15.0.7.1234", "10.15.0.7", 0},
		{"10.15.0.8", "10.15.0.7", 1},
		{"10.15.0.8.1", "10.15.0.7.99", 1},
		{"10.15.0.6.9999", "10.15.0.7", -1},
		{"10.15.0.10", "10.15.0.9", 1}, // numeric, not lexical
		{"10.15", "10.15.0.7", -1},     // missing segments count as 0
		{"10.15", "10.15.0.0", 0},
		{"11.1", "10.15.0.7", 1},
		{"10.15.0.7.1", "10.15.0.7.2", -1},
		{"99999999999999999999999.1", "99999999999999999999998.1", 1}, // no overflow
	} {
		got, err := CompareToTarget(tc.reported, tc.target)
		if err != nil || got != tc.want {
			t.Errorf("CompareToTarget(%q, %q) = %d, %v; want %d", tc.reported, tc.target, got, err, tc.want)
		}
	}
	if _, err := CompareToTarget("10.x", "10.15"); err == nil || !strings.Contains(err.Error(), "reported version") {
		t.Errorf("bad reported version: %v", err)
	}
	if _, err := CompareToTarget("10.15", "10.x"); err == nil || !strings.Contains(err.Error(), "target version") {
		t.Errorf("bad target: %v", err)
	}
}

func TestCheckVersions(t *testing.T) {
	nodes := []Node{{Name: "a"}, {Name: "b"}, {Name: "c"}, {Name: "d"}, {Name: "e"}, {Name: "f"}, {Name: "g"}}
	versions := map[string]string{
		"a": "10.15.0.6.100", // fine
		"b": "10.5.0.8",      // below minimum
		"c": "10.11.0.3",     // other release
		"d": "10.15.0.8",     // above target
		"e": "nonsense",      // unparsable
		"f": "",              // unknown: the caller warns
		"g": "10.15.0.7.555", // on target
	}
	errs := CheckVersions(nodes, versions, "10.15.0.7", false, false)
	got := map[string]string{}
	for _, err := range errs {
		got[errorAs[*VersionError](t, err).Node] = err.Error()
	}
	want := map[string]string{
		"b": "below 10.5.0.9",
		"c": "blue/green",
		"d": "allow_downgrade",
		"e": "not a dotted numeric version",
	}
	if len(got) != len(want) {
		t.Errorf("refused %v, want %v", got, want)
	}
	for node, text := range want {
		if !strings.Contains(got[node], text) || !strings.Contains(got[node], `node "`+node+`"`) {
			t.Errorf("node %s: %q lacks %q", node, got[node], text)
		}
	}
	if errs := CheckVersions(nodes[3:4], versions, "10.15.0.7", true, false); len(errs) != 0 {
		t.Errorf("downgrade allowed but refused: %v", errs)
	}
	if errs := CheckVersions(nodes, versions, "ten", false, false); len(errs) != 1 || !strings.Contains(errs[0].Error(), "target_version") {
		t.Errorf("bad target: %v", errs)
	}
	if errs := CheckVersions([]Node{{Name: "m"}}, map[string]string{"m": "10.5.0.9"}, "10.5.0.12", false, false); len(errs) != 0 {
		t.Errorf("10.5 Fix 9 itself refused: %v", errs)
	}
}

// TestBelowMinimumNamesVersionCommand: a 10.5 node whose version reads
// X.Y.0.0.<build>, as the vendor's sample does, may run a later fix that
// serverinfo does not show: the refusal names version_command as the way
// out, unless the version already came from it or no fix could help.
func TestBelowMinimumNamesVersionCommand(t *testing.T) {
	nodes := []Node{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	versions := map[string]string{
		"a": "10.5.0.0.5015", // the vendor's sample
		"b": "10.5.0.8.5015", // shows its fix level, below 10.5 Fix 9
		"c": "10.3.0.0.4000", // an older release: no fix reaches 10.5
	}
	got := map[string]string{}
	for _, err := range CheckVersions(nodes, versions, "10.5.0.11", false, false) {
		got[errorAs[*VersionError](t, err).Node] = err.Error()
	}
	if len(got) != 3 {
		t.Fatalf("refusals %v, want all three", got)
	}
	wantText(t, "a", got["a"], "below 10.5.0.9", "version_command", "X.Y.0.0.<build>", "apigw_node")
	for _, n := range []string{"b", "c"} {
		if !strings.Contains(got[n], "below 10.5.0.9") || strings.Contains(got[n], "version_command") {
			t.Errorf("%s: %q", n, got[n])
		}
	}
	errs := CheckVersions(nodes[:1], versions, "10.5.0.11", false, true)
	if len(errs) != 1 || strings.Contains(errs[0].Error(), "version_command") {
		t.Errorf("a version from version_command itself: %v", errs)
	}
}

func TestMayHideFixLevel(t *testing.T) {
	for v, want := range map[string]bool{
		"10.5.0.0.5015": true, "10.15.0.0.120": true, "10.15.00.000.1": true,
		"10.5.0.9.5015": false, "10.15.0.0": false, "10.15": false, "nonsense": false, "": false,
	} {
		if got := MayHideFixLevel(v); got != want {
			t.Errorf("MayHideFixLevel(%q) = %v", v, got)
		}
	}
}

func FuzzOnTarget(f *testing.F) {
	for _, s := range [][2]string{
		{"10.15.0.7.1234", "10.15.0.7"}, {"10.15.0.70", "10.15.0.7"}, {"10.15", "10.15.0.7"},
		{"010.015", "10.15"}, {"", ""}, {"1..2", "1"}, {"10.15.0.7", "10.15.0.7.0"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, reported, target string) {
		on := OnTarget(reported, target)
		c, err := CompareToTarget(reported, target)
		// On target means: both parse, the target's segments compare equal,
		// and the reported version has at least as many segments.
		want := err == nil && c == 0 && strings.Count(reported, ".") >= strings.Count(target, ".")
		if on != want {
			t.Fatalf("OnTarget(%q, %q) = %v, but CompareToTarget = %d, %v", reported, target, on, c, err)
		}
		if ValidateVersion(target) == nil {
			if !OnTarget(target, target) {
				t.Fatalf("%q is not on target itself", target)
			}
			if !OnTarget(target+".42", target) {
				t.Fatalf("%q.42 is not on target %q", target, target)
			}
		}
	})
}

func FuzzCompareToTarget(f *testing.F) {
	for _, s := range [][2]string{
		{"10.15.0.8", "10.15.0.7"}, {"10.15.0.10", "10.15.0.9"}, {"10.15", "10.15.0.0"},
		{"99999999999999999999.1", "1.1"}, {"x", "1"}, {"1.2.3", ""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, errA := CompareToTarget(a, b)
		if errA != nil {
			if ValidateVersion(a) == nil && ValidateVersion(b) == nil {
				t.Fatalf("valid %q, %q refused: %v", a, b, errA)
			}
			return
		}
		if ab < -1 || ab > 1 {
			t.Fatalf("CompareToTarget(%q, %q) = %d", a, b, ab)
		}
		// Reported segments beyond the target's never matter.
		if strings.Count(a, ".") < strings.Count(b, ".") {
			return
		}
		if c, err := CompareToTarget(a+".7", b); err != nil || c != ab {
			t.Fatalf("appending a segment to %q changed %d to %d (%v)", a, ab, c, err)
		}
		// With the same number of segments the comparison is antisymmetric.
		if strings.Count(a, ".") == strings.Count(b, ".") {
			if ba, err := CompareToTarget(b, a); err != nil || ba != -ab {
				t.Fatalf("CompareToTarget(%q, %q) = %d but reversed = %d (%v)", a, b, ab, ba, err)
			}
		}
		if c, _ := CompareToTarget(a, a); c != 0 {
			t.Fatalf("%q compares %d to itself", a, c)
		}
	})
}
