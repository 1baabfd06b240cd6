package rollout

import (
	"cmp"
	"errors"
	"slices"
	"strings"
)

// Sensitive replaces a secret wherever it would otherwise be shown.
const Sensitive = "(sensitive)"

// redactor hides secret values (command_secret_env, the provider's password)
// in text shown to the user.
type redactor struct {
	r      *strings.Replacer
	maxLen int
}

// newRedactor hides every non-empty value. Longer values go first so that a
// secret containing another is hidden whole.
func newRedactor(values []string) *redactor {
	vs := slices.DeleteFunc(slices.Clone(values), func(v string) bool { return v == "" })
	slices.SortFunc(vs, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	vs = slices.Compact(vs)
	if len(vs) == 0 {
		return &redactor{}
	}
	pairs := make([]string, 0, 2*len(vs))
	for _, v := range vs {
		pairs = append(pairs, v, Sensitive)
	}
	return &redactor{r: strings.NewReplacer(pairs...), maxLen: len(vs[0])}
}

func (r *redactor) String(s string) string {
	if r == nil || r.r == nil {
		return s
	}
	return r.r.Replace(s)
}

// Error returns err with secrets hidden. The original is dropped from the
// chain (it holds the secret), but context errors stay visible to errors.Is.
func (r *redactor) Error(err error) error {
	if err == nil || r == nil || r.r == nil {
		return err
	}
	msg := r.r.Replace(err.Error())
	if msg == err.Error() {
		return err
	}
	re := &redactedError{msg: msg}
	for _, sentinel := range keptSentinels {
		if errors.Is(err, sentinel) {
			re.kept = append(re.kept, sentinel)
		}
	}
	return re
}

type redactedError struct {
	msg  string
	kept []error
}

func (e *redactedError) Error() string   { return e.msg }
func (e *redactedError) Unwrap() []error { return e.kept }
