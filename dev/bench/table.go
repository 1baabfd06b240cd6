package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// table prints one section: a title, aligned columns and notes that say
// how to read it.
type table struct {
	title  string
	header []string
	rows   [][]string
	notes  []string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) print(w io.Writer) {
	fmt.Fprintf(w, "\n%s\n%s\n", t.title, strings.Repeat("=", len(t.title)))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	line := func(cells []string) { fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t") }
	line(t.header)
	sep := make([]string, len(t.header))
	for i, h := range t.header {
		sep[i] = strings.Repeat("-", len(h))
	}
	line(sep)
	for _, r := range t.rows {
		line(r)
	}
	tw.Flush()
	for _, n := range t.notes {
		fmt.Fprintln(w, n)
	}
}
