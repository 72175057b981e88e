package main

import (
	"io"
	"strings"
	"testing"
)

func TestUsageErrorsAreOneLine(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"register, bad duration", []string{"register", "--ttl", "5x"},
			`--ttl: invalid value "5x": want a duration like 30s; see 'confwatch register --help'`},
		{"register, missing value", []string{"register", "--key", "/k", "--ttl"},
			`--ttl: missing value: want a duration like 30s; see 'confwatch register --help'`},
		{"register, bad number", []string{"register", "--rise", "x"},
			`--rise: invalid value "x": want a whole number; see 'confwatch register --help'`},
		{"register, unknown flag", []string{"register", "--nope"},
			`--nope: no such flag; see 'confwatch register --help'`},
		{"check, unknown flag", []string{"check", "--nope"},
			`--nope: no such flag; see 'confwatch check --help'`},
		{"render, bad duration with =", []string{"render", "--dial-timeout=abc"},
			`--dial-timeout: invalid value "abc": want a duration like 30s; see 'confwatch render --help'`},
		{"plan, bad boolean", []string{"plan", "--noop=maybe"},
			`--noop: invalid value "maybe": want true or false; see 'confwatch plan --help'`},
		{"confd command line, single dash", []string{"-interval", "x"},
			`--interval: invalid value "x": want a whole number; see 'confwatch --help'`},
		{"bad syntax", []string{"register", "---x"},
			`bad flag syntax: ---x; see 'confwatch register --help'`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := cw(t, tt.args...)
			if want := "confwatch: " + tt.want + "\n"; code != exitUsage || errs != want || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q;\nwant exit %d, no stdout, stderr %q", code, out, errs, exitUsage, want)
			}
		})
	}
}

// TestEveryCommandHasShortUsageErrors covers commands added later too.
func TestEveryCommandHasShortUsageErrors(t *testing.T) {
	for _, c := range newApp(io.Discard, io.Discard).Commands {
		t.Run(c.Name, func(t *testing.T) {
			code, out, errs := cw(t, c.Name, "--no-such-flag")
			want := "confwatch: --no-such-flag: no such flag; see 'confwatch " + c.Name + " --help'\n"
			if code != exitUsage || errs != want || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d and %q", code, out, errs, exitUsage, want)
			}
		})
	}
}

func TestUsageErrorFromEnvironmentNamesTheVariable(t *testing.T) {
	t.Setenv("CONFWATCH_DIAL_TIMEOUT", "5x")
	code, out, errs := cw(t, "render")
	want := `confwatch: --dial-timeout (from environment variable "CONFWATCH_DIAL_TIMEOUT"): invalid value "5x": want a duration like 30s; see 'confwatch --help'` + "\n"
	if code != exitUsage || errs != want || out != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want %d and %q", code, out, errs, exitUsage, want)
	}
}

// TestHelpNamesEveryPlaceholder: no flag of any command reads `--flag value`
// in --help, and --dial-timeout shows the default it has.
func TestHelpNamesEveryPlaceholder(t *testing.T) {
	cmds := [][]string{{"--help"}}
	for _, c := range newApp(io.Discard, io.Discard).Commands {
		cmds = append(cmds, []string{c.Name, "--help"})
	}
	for _, args := range cmds {
		t.Run(args[0], func(t *testing.T) {
			_, out, _ := cw(t, args...)
			for _, line := range strings.Split(out, "\n") {
				if f := strings.Fields(line); len(f) > 1 && strings.HasPrefix(f[0], "--") && f[1] == "value" {
					t.Errorf("placeholder \"value\": %s", strings.TrimSpace(line))
				}
				if strings.Contains(line, "--dial-timeout DURATION") && !strings.Contains(line, "(default: 5s)") {
					t.Errorf("--dial-timeout without its default: %s", strings.TrimSpace(line))
				}
			}
		})
	}
}
