package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestCompletionBash completes words with the bash script against the real
// binary: subcommands at the root, a command's flags after "-".
func TestCompletionBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	bin := buildConfwatch(t)
	code, script, errs := cw(t, "completion", "bash")
	if code != 0 {
		t.Fatalf("completion bash: %d %s", code, errs)
	}
	for _, tc := range []struct {
		name  string
		words []string // the last is the word being completed
		want  []string
	}{
		{"subcommand", []string{"re"}, []string{"render", "register"}},
		{"all subcommands", []string{""}, []string{"render", "plan", "check", "run", "register", "generate-units", "lint-units", "completion"}},
		{"root flag", []string{"--log-l"}, []string{"--log-level"}},
		{"command flag", []string{"register", "--ch"}, []string{"--check-http", "--check-tcp"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			words := append([]string{bin}, tc.words...)
			quoted := make([]string, len(words))
			for i, w := range words {
				quoted[i] = "'" + w + "'"
			}
			prog := script + "\nCOMP_WORDS=(" + strings.Join(quoted, " ") + ")\nCOMP_CWORD=" +
				strconv.Itoa(len(words)-1) + "\n_confwatch\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
			out, err := exec.Command(bash, "--norc", "-c", prog).CombinedOutput()
			if err != nil {
				t.Fatalf("bash: %v\n%s", err, out)
			}
			got := strings.Fields(string(out))
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("completing %q: got %q, want %q among them", tc.words, got, w)
				}
			}
			last := tc.words[len(tc.words)-1]
			for _, g := range got {
				if !strings.HasPrefix(g, last) {
					t.Errorf("completing %q offered %q", last, g)
				}
			}
		})
	}
}

// TestCompletionScripts checks each shell's script names every visible
// command (and parses, where the shell is installed), and that a missing or
// unknown shell is a usage error.
func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		t.Run(shell, func(t *testing.T) {
			code, out, errs := cw(t, "completion", shell)
			if code != 0 {
				t.Fatalf("completion %s: %d %s", shell, code, errs)
			}
			if !strings.Contains(out, "confwatch") || (shell == "fish" && !strings.Contains(out, "generate-units")) {
				t.Errorf("completion %s:\n%s", shell, out)
			}
			if shell == "fish" && strings.Contains(out, " -s client-") {
				t.Error("fish script gives a long alias as a short option")
			}
			sh, err := exec.LookPath(shell)
			if err != nil {
				t.Logf("%s not installed: syntax not checked", shell)
				return
			}
			f := filepath.Join(t.TempDir(), "completion")
			must(t, os.WriteFile(f, []byte(out), 0o644))
			if msg, err := exec.Command(sh, "-n", f).CombinedOutput(); err != nil {
				t.Errorf("%s -n: %v\n%s", shell, err, msg)
			}
		})
	}
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}} {
		if code, _, _ := cw(t, args...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
	}
}

// buildConfwatch builds the binary into a temporary directory.
func buildConfwatch(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH: cannot build the binary")
	}
	bin := filepath.Join(t.TempDir(), "confwatch")
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
