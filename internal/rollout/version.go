package rollout

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
)

// MinimumVersion is 10.5 Fix 9, the oldest level the vendor's zero-downtime
// procedure starts from.
const MinimumVersion = "10.5.0.9"

// VersionError is a plan-time refusal for one node; Reason says why and what
// to do instead.
type VersionError struct {
	Node, Version, Reason string
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("node %q reports version %q: %s", e.Node, e.Version, e.Reason)
}

// segments splits a dotted numeric version and drops leading zeros so that
// segments compare as numbers of any size without overflow.
func segments(s string) ([]string, error) {
	if s == "" {
		return nil, errors.New("empty version")
	}
	parts := strings.Split(s, ".")
	for i, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("%q is not a dotted numeric version (like 10.15.0.7): segment %d is empty", s, i+1)
		}
		for j := 0; j < len(p); j++ {
			if p[j] < '0' || p[j] > '9' {
				return nil, fmt.Errorf("%q is not a dotted numeric version (like 10.15.0.7): segment %d is not a number", s, i+1)
			}
		}
		if t := strings.TrimLeft(p, "0"); t != "" {
			parts[i] = t
		} else {
			parts[i] = "0"
		}
	}
	return parts, nil
}

// compareSegment compares two normalised segments numerically.
func compareSegment(a, b string) int {
	if len(a) != len(b) {
		return cmp.Compare(len(a), len(b))
	}
	return strings.Compare(a, b)
}

// ValidateVersion accepts dotted numeric versions such as "10.15.0.7" or
// "10.15.0.7.1234".
func ValidateVersion(s string) error {
	_, err := segments(s)
	return err
}

// ValidateTarget checks a target_version: a valid version that names at
// least the release, since on-target, release and downgrade checks compare
// only as many segments as the target has.
func ValidateTarget(s string) error {
	t, err := segments(s)
	if err != nil {
		return err
	}
	if len(t) < 2 {
		return fmt.Errorf("%q names no release (like 10.15); name at least the release and preferably the fix (like 10.15.0.7)", s)
	}
	return nil
}

// OnTarget reports whether reported starts with the target's segments:
// "10.15.0.7.1234" is on target "10.15.0.7", "10.15.0.70" and "10.15" are not.
// Unparsable input is never on target.
func OnTarget(reported, target string) bool {
	r, err := segments(reported)
	if err != nil {
		return false
	}
	t, err := segments(target)
	if err != nil || len(r) < len(t) {
		return false
	}
	for i := range t {
		if compareSegment(r[i], t[i]) != 0 {
			return false
		}
	}
	return true
}

// CompareToTarget compares reported with target on the target's segments
// only (missing reported segments count as 0): -1 below, 0 on, +1 above.
func CompareToTarget(reported, target string) (int, error) {
	r, err := segments(reported)
	if err != nil {
		return 0, fmt.Errorf("reported version: %w", err)
	}
	t, err := segments(target)
	if err != nil {
		return 0, fmt.Errorf("target version: %w", err)
	}
	for i := range t {
		seg := "0"
		if i < len(r) {
			seg = r[i]
		}
		if c := compareSegment(seg, t[i]); c != 0 {
			return c, nil
		}
	}
	return 0, nil
}

// SameRelease reports whether a and b share the first two segments (10.15.x):
// moving between releases is the vendor's blue/green procedure instead.
func SameRelease(a, b string) bool {
	x, err := segments(a)
	if err != nil || len(x) < 2 {
		return false
	}
	y, err := segments(b)
	if err != nil || len(y) < 2 {
		return false
	}
	return compareSegment(x[0], y[0]) == 0 && compareSegment(x[1], y[1]) == 0
}

// CheckVersions returns the plan-time refusals for the nodes whose versions
// are known (missing or "" versions are skipped: the caller warns about
// unreachable nodes). Each error is a *VersionError naming the node, the
// reason and the fix, except a bad target, which is reported alone.
// fromCommand says the versions are what version_command printed, not
// serverinfo's.
func CheckVersions(nodes []Node, versions map[string]string, target string, allowDowngrade, fromCommand bool) []error {
	if err := ValidateVersion(target); err != nil {
		return []error{fmt.Errorf("target_version: %w", err)}
	}
	var errs []error
	for _, n := range nodes {
		v := versions[n.Name]
		if v == "" {
			continue
		}
		if reason := versionRefusal(v, target, allowDowngrade, fromCommand); reason != "" {
			errs = append(errs, &VersionError{Node: n.Name, Version: v, Reason: reason})
		}
	}
	return errs
}

// versionRefusal says why a node on version v must not be rolled to target,
// or returns "".
func versionRefusal(v, target string, allowDowngrade, fromCommand bool) string {
	if err := ValidateVersion(v); err != nil {
		return "not a dotted numeric version, so the provider cannot tell whether it is on target; check the node's serverinfo, or set version_command to a command that prints the node's version"
	}
	if c, _ := CompareToTarget(v, MinimumVersion); c < 0 {
		reason := fmt.Sprintf("below %s (10.5 Fix 9), the oldest level the zero-downtime procedure supports; bring this node to 10.5 Fix 9 or later by hand first", MinimumVersion)
		if !fromCommand && MayHideFixLevel(v) && SameRelease(v, MinimumVersion) {
			reason += fmt.Sprintf(". But %s has the shape X.Y.0.0.<build>, which may mean that this gateway's serverinfo version does not show the fix level "+
				"(data source apigw_node shows the node's version, build and fixes): if the node runs 10.5 Fix 9 or later, set version_command "+
				"to a command that prints its real version (e.g. 10.5.0.9) and plan again", v)
		}
		return reason
	}
	if !SameRelease(v, target) {
		return fmt.Sprintf("target_version %s is in another release (%s → %s); changing the release is the major upgrade procedure (blue/green with reindexing), not a rolling upgrade: pick a target in release %s or upgrade this cluster blue/green",
			target, release(v), release(target), release(v))
	}
	if c, _ := CompareToTarget(v, target); c > 0 && !allowDowngrade {
		return fmt.Sprintf("higher than target_version %s; set allow_downgrade = true to downgrade it, or raise target_version", target)
	}
	return ""
}

// MayHideFixLevel reports whether v has the shape X.Y.0.0.<build>: a fourth
// segment 0 followed by a build number, as the vendor's one real sample of
// serverinfo reads ("10.5.0.0.5015"). Such a version is either the release
// without any fix, or comes from a gateway whose serverinfo version does
// not show the fix level; only version_command tells them apart.
func MayHideFixLevel(v string) bool {
	s, err := segments(v)
	return err == nil && len(s) >= 5 && s[3] == "0"
}

// release returns the first two segments, as written.
func release(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	return parts[0] + "." + parts[1]
}
