package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"

	"github.com/confwatch/confwatch/agent/apply"
	"github.com/confwatch/confwatch/agent/engine"
	"github.com/confwatch/confwatch/agent/resource"
	"github.com/confwatch/confwatch/agent/state"
	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestForbiddenDirFailsOnlyItsResource: the etcd user may read only
// /services/; resource "other" reads /other. It used to block every
// resource (the one list of all directories failed with a bare "permission
// denied"); now "svc" is applied and follows changes while "other" fails
// with an error naming /other and the user.
func TestForbiddenDirFailsOnlyItsResource(t *testing.T) {
	srv := testetcd.Start(t)
	srv.Put(t, "/services/apache/a", "10.0.0.1:80")
	srv.Put(t, "/other/x", "secret")
	srv.EnableAuth(t, "cw", "secret", "/services/")
	dir := t.TempDir()
	for _, d := range []string{"conf.d", "templates", "out"} {
		must(t, os.MkdirAll(filepath.Join(dir, d), 0o755))
	}
	must(t, os.WriteFile(filepath.Join(dir, "templates", "t.tmpl"), []byte(`{{range gets "/services/apache/*"}}{{.Key}}={{.Value}} {{end}}`), 0o644))
	for name, key := range map[string]string{"svc": "/services/apache", "other": "/other"} {
		toml := fmt.Sprintf("[template]\nsrc = \"t.tmpl\"\ndest = %q\nkeys = [%q]\nallow_empty = true\n", filepath.Join(dir, "out", name), key)
		must(t, os.WriteFile(filepath.Join(dir, "conf.d", name+".toml"), []byte(toml), 0o644))
	}
	res, probs := resource.LoadAll(resource.Options{ConfDir: dir})
	must(t, probs.Err())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng, probs := engine.New(res, engine.Options{Log: log, State: &state.Store{},
		Reloaders: func(*resource.Resource) apply.Reloader { return &recorder{} }})
	must(t, probs.Err())
	var mu sync.Mutex
	last := map[string]engine.Result{}
	loop := New(Options{Client: srv.ClientAs(t, "cw", "secret"), Engine: eng, Log: log, HealthEvery: 200 * time.Millisecond,
		RequestTimeout: 2 * time.Second, Hooks: Hooks{Applied: func(_ string, sts []engine.Result, _ time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			for _, s := range sts {
				last[s.Name] = s
			}
		}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- loop.Run(ctx) }()
	defer func() { cancel(); <-done }()

	readDest := func(n string) string { b, _ := os.ReadFile(filepath.Join(dir, "out", n)); return string(b) }
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			mu.Lock()
			good := ok()
			mu.Unlock()
			if good {
				return
			}
		}
		t.Fatalf("%s: not within 15s; statuses %v; svc holds %q", what, last, readDest("svc"))
	}
	waitFor("svc applied, other failed", func() bool {
		o, ok := last["other"]
		return readDest("svc") == "/services/apache/a=10.0.0.1:80 " && ok && o.Err != nil
	})
	mu.Lock()
	oerr := last["other"].Err
	mu.Unlock()
	if !errors.Is(oerr, rpctypes.ErrPermissionDenied) || !strings.Contains(oerr.Error(), "/other") || !strings.Contains(oerr.Error(), `"cw"`) {
		t.Fatalf("other: %v; want permission denied naming /other and user cw", oerr)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "other")); err == nil {
		t.Fatal("other's destination was written from a directory that could not be read")
	}
	srv.Put(t, "/services/apache/b", "10.0.0.2:80")
	waitFor("svc follows a change", func() bool {
		return readDest("svc") == "/services/apache/a=10.0.0.1:80 /services/apache/b=10.0.0.2:80 "
	})
}

// TestForbiddenDirDoesNotSpin: the watcher of a directory the user may not
// read re-lists it with a growing backoff instead of retrying the refused
// watch at once. A count over a fixed time, bounded above only: a slow
// machine makes fewer lists, never more.
func TestForbiddenDirDoesNotSpin(t *testing.T) {
	srv := testetcd.Start(t)
	srv.EnableAuth(t, "cw", "secret", "/services/")
	out := make(chan update, 1000)
	w := &dirWatcher{cli: srv.ClientAs(t, "cw", "secret"), dir: "/other", log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		out: out, rt: 2 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	w.run(ctx, 1)
	n := len(out)
	for range n {
		if u := <-out; !u.reset || !errors.Is(u.err, rpctypes.ErrPermissionDenied) {
			t.Fatalf("update %+v: want a reset carrying permission denied", u)
		}
	}
	if n == 0 || n > 8 {
		t.Fatalf("%d lists of a forbidden directory in 3s: want 1..8 (a backoff from 100ms)", n)
	}
	t.Logf("%d lists in 3s", n)
}
