package rollout

import "errors"

// marked is an error that carries a mark of type M, found again with
// errors.As through any wrapping; its text and chain are the wrapped
// error's. It exists so that the Gateway's marks (Refused,
// HealthCredentials, Silent) share one error type instead of three copies.
type marked[M any] struct {
	mark M
	err  error
}

func (e *marked[M]) Error() string { return e.err.Error() }
func (e *marked[M]) Unwrap() error { return e.err }

// withMark wraps err with m; a nil err stays nil.
func withMark[M any](m M, err error) error {
	if err == nil {
		return nil
	}
	return &marked[M]{mark: m, err: err}
}

// markOf returns the mark of type M that err carries; ok is false when it
// carries none.
func markOf[M any](err error) (m M, ok bool) {
	var e *marked[M]
	if errors.As(err, &e) {
		return e.mark, true
	}
	return m, false
}
