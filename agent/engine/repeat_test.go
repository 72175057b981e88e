package engine

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/agent/resource"
	"github.com/confwatch/confwatch/agent/state"
)

// TestRepeatedFailureIsLoggedOnce: retries of the same render failing its
// check the same way log nothing above debug; a new failure (another check
// output) and new data are logged again.
func TestRepeatedFailureIsLoggedOnce(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"conf.d", "templates", "out"} {
		must(t, os.MkdirAll(filepath.Join(dir, d), 0o755))
	}
	why := filepath.Join(dir, "why")
	must(t, os.WriteFile(why, []byte("broken\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "templates", "t.tmpl"), []byte(`{{ range gets "/a/*" }}{{ .Value }}{{ end }}`), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "conf.d", "a.toml"), []byte("[template]\nsrc = \"t.tmpl\"\ndest = \""+
		filepath.Join(dir, "out", "a")+"\"\nkeys = [\"/a\"]\ncheck_cmd = \"cat "+why+" >&2; false\"\n"), 0o644))
	res, probs := resource.LoadAll(resource.Options{ConfDir: dir})
	must(t, probs.Err())
	var logs bytes.Buffer
	e, probs := New(res, Options{Log: slog.New(slog.NewTextHandler(&logs, nil)), State: &state.Store{}})
	must(t, probs.Err())
	loud := func() int { // lines above debug so far, then forget them
		n := strings.Count(logs.String(), "level=ERROR") + strings.Count(logs.String(), "level=WARN") + strings.Count(logs.String(), "level=INFO")
		logs.Reset()
		return n
	}
	sync := func(v string) {
		t.Helper()
		if st := e.SyncGroup(context.Background(), e.Groups()[0], trees("/a/x", v)); st[0].Outcome != OutcomeFailed {
			t.Fatalf("outcome %v, want failed", st[0].Outcome)
		}
	}
	sync("1")
	if n := loud(); n == 0 {
		t.Fatal("the first failure was not logged")
	}
	for range 3 {
		sync("1")
		if n := loud(); n != 0 {
			t.Errorf("a retry failing as before logged %d lines above debug", n)
		}
	}
	must(t, os.WriteFile(why, []byte("broken otherwise\n"), 0o644))
	sync("1")
	if got := logs.String(); !strings.Contains(got, "level=ERROR") || !strings.Contains(got, "broken otherwise") {
		t.Errorf("a new failure of the same render was not logged with its output:\n%s", got)
	}
	loud()
	sync("2")
	if n := loud(); n == 0 {
		t.Error("a failure of new data was not logged")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
