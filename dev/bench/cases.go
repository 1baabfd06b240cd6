package bench

import (
	"fmt"
	"strings"
)

// RolloutCase is one row of the rollout table.
type RolloutCase struct {
	Nodes, MaxUnavailable int
}

// ParseRolloutCases reads rows written as N/k pairs separated by commas,
// e.g. "3/1,200/10", so one row can be re-measured without the others.
func ParseRolloutCases(s string) ([]RolloutCase, error) {
	return parseCases(s, "N/k with 1 <= k < N", func(n, k int) (RolloutCase, bool) {
		return RolloutCase{Nodes: n, MaxUnavailable: k}, n >= 1 && k >= 1 && (n == 1 || k < n)
	})
}

// PrepareCase is one cluster size of the prepare table; every size is
// rolled twice, with and without prepare_command.
type PrepareCase struct {
	Nodes, Parallelism int
}

// ParsePrepareCases reads rows written as N/parallelism pairs separated by
// commas, e.g. "3/4,10/4".
func ParsePrepareCases(s string) ([]PrepareCase, error) {
	return parseCases(s, "N/parallelism with both at least 1", func(n, p int) (PrepareCase, bool) {
		return PrepareCase{Nodes: n, Parallelism: p}, n >= 1 && p >= 1
	})
}

// parseCases reads the rows of a table written as a/b pairs of whole numbers
// separated by commas, e.g. "3/1,200/10", so that one row can be measured
// again without the others. row makes a case of a pair and says whether it
// is valid; want says how a valid row is written, for the error.
func parseCases[T any](s, want string, row func(a, b int) (T, bool)) ([]T, error) {
	var out []T
	for _, f := range strings.Split(s, ",") {
		var a, b int
		if _, err := fmt.Sscanf(strings.TrimSpace(f), "%d/%d", &a, &b); err == nil {
			if c, ok := row(a, b); ok {
				out = append(out, c)
				continue
			}
		}
		return nil, fmt.Errorf("%q is not %s", f, want)
	}
	return out, nil
}
