package bench

import "testing"

func TestParseCases(t *testing.T) {
	checkParseCases(t, "ParseRolloutCases", ParseRolloutCases, "3/1, 200/10", RolloutCase{200, 10}, "3", "3/3", "0/1", "x/1")
	checkParseCases(t, "ParsePrepareCases", ParsePrepareCases, "3/4, 10/1", PrepareCase{10, 1}, "3", "0/1", "3/0", "x/1")
}

// checkParseCases checks one of the parsers of a table's rows: good holds
// two rows, the second of which is second, and every one of bad is refused.
func checkParseCases[C comparable](t *testing.T, name string, parse func(string) ([]C, error), good string, second C, bad ...string) {
	t.Helper()
	got, err := parse(good)
	if err != nil || len(got) != 2 || got[1] != second {
		t.Fatalf("%s = %v, %v", name, got, err)
	}
	for _, b := range bad {
		if _, err := parse(b); err == nil {
			t.Errorf("%s(%q) accepted", name, b)
		}
	}
}
