package rollout

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestRedactor(t *testing.T) {
	r := newRedactor([]string{"abc", "abcdef", "", "abc"})
	if got := r.String("x abcdef y abc z"); got != "x (sensitive) y (sensitive) z" {
		t.Errorf("got %q", got)
	}
	err := r.Error(errors.Join(errors.New("token abc"), context.Canceled))
	if strings.Contains(err.Error(), "abc") || !errors.Is(err, context.Canceled) {
		t.Errorf("redacted error %q, is canceled: %v", err, errors.Is(err, context.Canceled))
	}
	plain := errors.New("nothing to hide")
	if r.Error(plain) != plain { //nolint:errorlint // identity is the point: the same error must come back unwrapped
		t.Error("an error without secrets was rewrapped")
	}
	if got := newRedactor(nil).String("abc"); got != "abc" {
		t.Errorf("empty redactor changed text: %q", got)
	}
}
