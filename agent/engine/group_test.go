package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/agent/resource"
)

// A group is named for what it holds, never by its reload command: the
// name is a /metrics label and a log field, and a command can carry a
// credential.
func TestGroupNamesCarryNoCommand(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"conf.d", "templates", "out"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "templates/t.tmpl"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for n, cmd := range map[string]string{
		"a": "curl -u admin:hunter2 http://lb/reload",
		"b": "curl -u admin:hunter2 http://lb/reload",
		"c": "curl -u admin:hunter2 http://lb/reload?f={{.dest}}",
		"d": "systemctl reload nginx",
	} {
		toml := "[template]\nsrc = \"t.tmpl\"\ndest = \"" + filepath.Join(dir, "out", n) + "\"\nkeys = [\"/" + n + "\"]\nreload_cmd = \"" + cmd + "\"\n"
		if err := os.WriteFile(filepath.Join(dir, "conf.d", n+".toml"), []byte(toml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, probs := resource.LoadAll(resource.Options{ConfDir: dir})
	if err := probs.Err(); err != nil {
		t.Fatal(err)
	}
	e, probs := New(res, Options{})
	if err := probs.Err(); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(e.Groups(), " ")
	if got != "cmd:a cmd:c cmd:d" {
		t.Fatalf("groups %q, want cmd:a (a and b) cmd:c cmd:d", got)
	}
	if len(e.GroupOf("cmd:a")) != 2 {
		t.Fatalf("a and b share a reload command: one group, got %v", e.GroupOf("cmd:a"))
	}
}
