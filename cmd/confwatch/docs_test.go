package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/agent/config"
	"github.com/confwatch/confwatch/agent/resource"
)

// TestCLIReferenceIsCurrent keeps docs/cli.md and docs/confwatch.8 equal
// to what the code generates (`go test -run CLIReference -update` rewrites
// them).
func TestCLIReferenceIsCurrent(t *testing.T) {
	for format, p := range map[string]string{"markdown": "../../docs/cli.md", "man": "../../docs/confwatch.8"} {
		code, out, errs := cw(t, "docs", "--format", format)
		if code != 0 {
			t.Fatalf("docs --format %s: %d %s", format, code, errs)
		}
		if *update {
			must(t, os.WriteFile(p, []byte(out), 0o644))
		}
		want, err := os.ReadFile(p)
		must(t, err)
		if string(want) != out {
			t.Errorf("%s is out of date: run make docs, or go test ./cmd/confwatch -run CLIReference -update", p)
		}
	}
}

// TestManPage checks the man page is a man page: clean under mandoc -T lint
// (style messages included), with the sections an operator looks for, each
// command's own options only, and nothing in angle brackets swallowed.
func TestManPage(t *testing.T) {
	code, page, errs := cw(t, "docs", "--format", "man")
	if code != 0 {
		t.Fatalf("docs --format man: %d %s", code, errs)
	}
	for _, sec := range []string{"NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS", "EXIT STATUS",
		"ENVIRONMENT", "FILES", "SIGNALS", "EXAMPLES", "SEE ALSO"} {
		if !strings.Contains(page, "\n.SH "+sec+"\n") && !strings.Contains(page, "\n.SH \""+sec+"\"\n") {
			t.Errorf("no %s section", sec)
		}
	}
	if n := strings.Count(page, ".TP\n\\fB\\-\\-endpoints\\fP"); n != 1 {
		t.Errorf("--endpoints is described %d times, want once (global options are not repeated per command)", n)
	}
	mandoc, err := exec.LookPath("mandoc")
	if err != nil {
		t.Skip("mandoc not installed (apt-get install mandoc): lint and rendering not checked")
	}
	f := filepath.Join(t.TempDir(), "confwatch.8")
	must(t, os.WriteFile(f, []byte(page), 0o644))
	if out, err := exec.Command(mandoc, "-T", "lint", "-W", "style", f).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("mandoc -T lint: %v\n%s", err, out)
	}
	text, err := exec.Command(mandoc, "-T", "ascii", f).Output()
	must(t, err)
	for _, want := range []string{"(default: <confdir>/confd.toml)", "<service>@.service", "--ready-when WHEN"} {
		if !strings.Contains(stripOverstrike(string(text)), want) {
			t.Errorf("rendered page lacks %q", want)
		}
	}
}

// stripOverstrike removes the backspace bold and underline of mandoc's
// terminal output.
func stripOverstrike(s string) string {
	var b strings.Builder
	r := []rune(s)
	for i := 0; i < len(r); i++ {
		if i+2 < len(r) && r[i+1] == '\b' {
			continue
		}
		if r[i] == '\b' {
			continue
		}
		b.WriteRune(r[i])
	}
	return b.String()
}

// TestMarkdownReferenceKeepsAngleBrackets: docs/cli.md escapes <...> outside
// code, so a renderer shows "<confdir>" instead of dropping it as HTML.
func TestMarkdownReferenceKeepsAngleBrackets(t *testing.T) {
	_, md, _ := cw(t, "docs", "--format", "markdown")
	for _, want := range []string{"&lt;confdir&gt;/confd.toml", "&lt;service&gt;@.service"} {
		if !strings.Contains(md, want) {
			t.Errorf("docs/cli.md lacks %q", want)
		}
	}
}

// TestREADMEDocumentsEveryKey fails when a configuration or resource key has
// no entry in the README.
func TestREADMEDocumentsEveryKey(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	must(t, err)
	readme := string(b)
	for _, typ := range []reflect.Type{reflect.TypeOf(config.Config{}), reflect.TypeOf(config.Etcd{}), reflect.TypeOf(resource.Spec{})} {
		for i := 0; i < typ.NumField(); i++ {
			key, _, _ := strings.Cut(typ.Field(i).Tag.Get("toml"), ",")
			if key == "" || key == "-" || key == "etcd" {
				continue
			}
			if !strings.Contains(readme, "`"+key+"`") && !strings.Contains(readme, key+"`") && !strings.Contains(readme, " "+key+",") {
				t.Errorf("README does not document key %q (%s)", key, typ.Name())
			}
		}
	}
}

// TestEveryCommandHasHelp: each help/NAME.txt is the long description of
// the app (confwatch.txt) or of command NAME, and none is empty; a file
// renamed or a command renamed would leave --help and the man page without it.
func TestEveryCommandHasHelp(t *testing.T) {
	app := newApp(io.Discard, io.Discard)
	es, err := helpFS.ReadDir("help")
	must(t, err)
	for _, e := range es {
		name := strings.TrimSuffix(e.Name(), ".txt")
		got := app.Description
		if name != "confwatch" {
			got = ""
			for _, c := range app.Commands {
				if c.Name == name {
					got = c.Description
				}
			}
		}
		if got == "" || got != help(name) {
			t.Errorf("help/%s: not the description of a command (got %q)", e.Name(), got)
		}
	}
}
