package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the README's table of the demo's flags")

// Markers around the table in the README.
const (
	tableStart = "<!-- demo flags: generated from cmd/confwatch-demo's flag set; go test ./cmd/confwatch-demo -run TestReadmeListsTheFlags -update -->\n"
	tableEnd   = "<!-- end of demo flags -->\n"
)

// TestReadmeListsTheFlags: the README's table of `make demo`'s flags is the
// demo's flag set (-update rewrites it).
func TestReadmeListsTheFlags(t *testing.T) {
	const readme = "../../README.md"
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i, j := strings.Index(s, tableStart), strings.Index(s, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md has no table of the demo's flags between %q and %q", tableStart, tableEnd)
	}
	want := flagTable()
	if got := s[i+len(tableStart) : j]; got != want {
		if *update {
			if err := os.WriteFile(readme, []byte(s[:i+len(tableStart)]+want+s[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README.md's table of the demo's flags is stale (run with -update):\n got: %q\nwant: %q", got, want)
	}
}

// flagTable is the markdown table of the demo's flags.
func flagTable() string {
	var o options
	var b strings.Builder
	b.WriteString("| flag | default | what |\n|---|---|---|\n")
	flagSet(&o).VisitAll(func(f *flag.Flag) {
		def := f.DefValue
		if def == "" {
			def = " "
		} else {
			def = "`" + def + "`"
		}
		fmt.Fprintf(&b, "| `--%s` | %s | %s |\n", f.Name, def, strings.ReplaceAll(f.Usage, "|", `\|`))
	})
	return b.String()
}
