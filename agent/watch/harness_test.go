package watch

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/confwatch/confwatch/agent/apply"
	"github.com/confwatch/confwatch/agent/engine"
	"github.com/confwatch/confwatch/agent/kv"
	"github.com/confwatch/confwatch/agent/render"
	"github.com/confwatch/confwatch/agent/resource"
	"github.com/confwatch/confwatch/agent/state"
)

const classic = `upstream apache_pool {
{{ range getvs "/services/apache/*" }}
    server {{ . }};
{{ end }}
}
`

// recorder is a reloader that records what dest held at each reload.
type recorder struct {
	mu   sync.Mutex
	dest string
	seen []string
	fail func(n int) error
}

func (r *recorder) Reload(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, _ := os.ReadFile(r.dest)
	r.seen = append(r.seen, string(b))
	if r.fail != nil {
		return r.fail(len(r.seen))
	}
	return nil
}
func (r *recorder) String() string { return "recorder" }

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

type harness struct {
	dest   string
	rec    *recorder
	loop   *Loop
	cancel context.CancelFunc
	done   chan error
	tmpl   *render.Template
	mu     sync.Mutex
	events []string // what Hooks.Etcd reported: "etcd up=true", "etcd up=false"
	newest int64    // the newest revision Hooks.Changed reported
}

// start runs an agent for the classic resource against endpoint. extra is
// added to the [template] table.
func start(t *testing.T, endpoint, extra string) *harness {
	t.Helper()
	return startWith(t, endpoint, classic, `["/services/apache"]`, extra)
}

// startWith runs an agent for one resource with the given template and keys.
func startWith(t *testing.T, endpoint, tmpl, keys, extra string) *harness {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"conf.d", "templates", "out"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dest := filepath.Join(dir, "out", "upstream.conf")
	toml := fmt.Sprintf("[template]\nsrc = \"nginx.tmpl\"\ndest = %q\nkeys = %s\nallow_empty = true\nmax_shrink = \"100%%\"\n%s\n", dest, keys, extra)
	must(t, os.WriteFile(filepath.Join(dir, "conf.d", "nginx.toml"), []byte(toml), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "templates", "nginx.tmpl"), []byte(tmpl), 0o644))
	res, probs := resource.LoadAll(resource.Options{ConfDir: dir})
	must(t, probs.Err())
	rec := &recorder{dest: dest}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("CONFWATCH_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	eng, probs := engine.New(res, engine.Options{Log: log, State: &state.Store{},
		Reloaders: func(*resource.Resource) apply.Reloader { return rec }})
	must(t, probs.Err())
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 2 * time.Second, Logger: zap.NewNop()})
	must(t, err)
	h := &harness{dest: dest, rec: rec, done: make(chan error, 1)}
	h.tmpl, err = render.Parse("classic", []byte(classic))
	must(t, err)
	h.loop = New(Options{Client: cli, Engine: eng, Log: log, HealthEvery: 200 * time.Millisecond, RequestTimeout: 2 * time.Second,
		Hooks: Hooks{
			Etcd:    func(up bool, _ time.Time, _ error) { h.event(fmt.Sprintf("etcd up=%v", up)) },
			Changed: func(_ string, rev int64, _, _ int) { h.changed(rev) },
		}})
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- h.loop.Run(ctx) }()
	t.Cleanup(func() {
		h.stop(t)
		_ = cli.Close()
	})
	return h
}

func (h *harness) event(s string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, s)
}

func (h *harness) changed(rev int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.newest = max(h.newest, rev)
}

// lastChange is the newest revision of a change the loop took (0: none
// since the first list).
func (h *harness) lastChange() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.newest
}

// waitEvent waits until the loop has reported ev through Hooks.Etcd.
func (h *harness) waitEvent(t *testing.T, ev string, timeout time.Duration) {
	t.Helper()
	waitFor(t, timeout, "the loop to report "+ev, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return slices.Contains(h.events, ev)
	})
}

// waitReloads waits until at least n reloads have run.
func (h *harness) waitReloads(t *testing.T, n int, timeout time.Duration) {
	t.Helper()
	waitFor(t, timeout, fmt.Sprintf("%d reloads", n), func() bool { return h.rec.count() >= n })
}

// waitSeen waits until a reload has seen want in dest, and returns the
// index of the first that did.
func (h *harness) waitSeen(t *testing.T, want string, timeout time.Duration) int {
	t.Helper()
	i := -1
	waitFor(t, timeout, fmt.Sprintf("a reload to see %q", want), func() bool {
		h.rec.mu.Lock()
		defer h.rec.mu.Unlock()
		i = slices.Index(h.rec.seen, want)
		return i >= 0
	})
	return i
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", timeout, what)
		}
	}
}

func (h *harness) stop(t *testing.T) {
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		if err != nil {
			t.Errorf("loop: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("loop did not stop within 30s")
	}
}

// want renders the classic template from a key map.
func (h *harness) want(t *testing.T, m map[string]string) string {
	t.Helper()
	tr := kv.NewTree()
	for k, v := range m {
		if kv.Contains("/services/apache", k) {
			tr.Put(k, v)
		}
	}
	b, err := h.tmpl.Execute(kv.View{Dirs: []kv.Dir{{Key: "/services/apache", Tree: tr}}})
	must(t, err)
	return string(b)
}

func (h *harness) read() string {
	b, err := os.ReadFile(h.dest)
	if err != nil {
		return "<missing>"
	}
	return string(b)
}

// waitDest waits until dest holds want.
func (h *harness) waitDest(t *testing.T, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if h.read() == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("dest did not converge in %s:\n got: %q\nwant: %q", timeout, h.read(), want)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
