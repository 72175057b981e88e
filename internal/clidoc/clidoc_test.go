package clidoc

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestNewLeavesCommonFlagsOut: each command lists only its own options, not
// the common ones every command takes, and a flag's `PLACEHOLDER` becomes
// its argument.
func TestNewLeavesCommonFlagsOut(t *testing.T) {
	common := []cli.Flag{&cli.StringFlag{Name: "confdir", Usage: "read `DIR`"}}
	app := &cli.App{Name: "confwatch", Flags: common, Commands: []*cli.Command{{
		Name: "run", Usage: "run it",
		Flags: append([]cli.Flag{&cli.DurationFlag{Name: "wait", Usage: "wait this long"}}, common...),
	}}}
	r := New(app, common)
	if len(r.commands) != 1 || len(r.commands[0].flags) != 1 || r.commands[0].flags[0].names[0] != "--wait" {
		t.Fatalf("commands = %+v, want run with --wait only", r.commands)
	}
	if f := r.commands[0].flags[0]; f.arg != "DURATION" {
		t.Errorf("--wait arg = %q, want DURATION", f.arg)
	}
	if g := r.global[0]; g.arg != "DIR" || g.usage != "read DIR" {
		t.Errorf("--confdir = %+v, want arg DIR, usage %q", g, "read DIR")
	}
	if md := r.Markdown(); !strings.Contains(md, "| `--wait DURATION` | wait this long |") {
		t.Errorf("markdown lacks the --wait row:\n%s", md)
	}
}

func TestRoff(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"use --force", `use \-\-force`},
		{"well-known", "well-known"},
		{"a `code` span", `a \fBcode\fP span`},
		{`back\slash`, `back\eslash`},
	} {
		if got := roff(tc.in); got != tc.want {
			t.Errorf("roff(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCompletionUnknownShell(t *testing.T) {
	if _, err := Completion("tcsh", &cli.App{Name: "confwatch"}); err == nil {
		t.Error("tcsh: no error")
	}
	if s, err := Completion("bash", &cli.App{Name: "confwatch"}); err != nil || !strings.Contains(s, "complete ") {
		t.Errorf("bash: %v %q", err, s)
	}
}
