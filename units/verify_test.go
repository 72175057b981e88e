package units

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeUnits(t *testing.T, units map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range units {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestVerifyFindsProblems(t *testing.T) {
	dir := writeUnits(t, map[string]string{
		"good@.service":    "[Unit]\nDescription=good %i\nRequires=docker.service\n[Service]\nExecStart=/usr/bin/docker run x\n",
		"typo.service":     "[Unit]\nDescription=typo\n[Service]\nExecStrat=/bin/true\nExecStart=/bin/true\nRestart=sometimes\n",
		"missing.service":  "[Unit]\nDescription=m\nRequires=no-such-unit.service\n[Service]\nExecStart=/usr/bin/no-such-binary-here\n",
		"killmode.service": "[Unit]\nDescription=k\n[Service]\nExecStart=/bin/true\nKillMode=none\n",
	})
	fs, err := Verify(context.Background(), dir, nil)
	if errors.Is(err, ErrNoSystemdAnalyze) {
		t.Skip("systemd-analyze is not installed: Verify cannot run here")
	}
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, f := range fs {
		all = append(all, f.String())
		if strings.HasPrefix(f.File, "good@") {
			t.Errorf("finding on the good unit: %v", f)
		}
	}
	text := strings.Join(all, "\n")
	t.Log(text)
	for _, want := range []string{
		"typo.service:4: Unknown key 'ExecStrat'",
		"typo.service:6: Failed to parse service restart specifier",
		"missing.service: ",
		"killmode.service:5: ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("findings lack %q:\n%s", want, text)
		}
	}
}

func TestVerifyWithoutSystemdAnalyze(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Verify(context.Background(), t.TempDir(), nil)
	if !errors.Is(err, ErrNoSystemdAnalyze) {
		t.Fatalf("err = %v, want ErrNoSystemdAnalyze", err)
	}
}

func TestVerifyFilesNamesPaths(t *testing.T) {
	dir := writeUnits(t, map[string]string{"bad.service": "[Service]\nExecStart=/bin/true\nRestart=sometimes\n"})
	p := filepath.Join(dir, "bad.service")
	fs, err := VerifyFiles(context.Background(), []string{p})
	if errors.Is(err, ErrNoSystemdAnalyze) {
		t.Skip("systemd-analyze is not installed: Verify cannot run here")
	}
	if err != nil || len(fs) != 1 || fs[0].File != p || fs[0].Line != 3 {
		t.Fatalf("VerifyFiles = %v, %v; want one finding on %s:3", fs, err, p)
	}
	if _, err := VerifyFiles(context.Background(), []string{p, p}); err == nil {
		t.Error("two files with one unit name: want an error")
	}
}

// TestVerifyFilesNoUnit: with no unit file to verify (README.md only),
// systemd-analyze is not run ("Too few arguments") and nothing is found.
func TestVerifyFilesNoUnit(t *testing.T) {
	dir := writeUnits(t, map[string]string{"README.md": "# units\n"})
	fs, err := VerifyFiles(context.Background(), []string{filepath.Join(dir, "README.md")})
	if errors.Is(err, ErrNoSystemdAnalyze) {
		t.Skip("systemd-analyze is not installed: Verify cannot run here")
	}
	if err != nil || len(fs) != 0 {
		t.Fatalf("VerifyFiles(README.md) = %v, %v; want no finding", fs, err)
	}
}
