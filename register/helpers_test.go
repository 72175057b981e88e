package register

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/confwatch/confwatch/internal/syncbuf"
)

// notes records what Run tells its Notifier and OnChange hook.
type notes struct {
	mu      sync.Mutex
	ready   int
	status  []string
	changes []string
}

func (n *notes) Ready() error { n.mu.Lock(); defer n.mu.Unlock(); n.ready++; return nil }

func (n *notes) Status(s string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.status = append(n.status, s)
	return nil
}

func (n *notes) onChange(registered bool, reason string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.changes = append(n.changes, map[bool]string{true: "up", false: "down"}[registered])
}

func (n *notes) snapshot() (ready int, status, changes []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ready, slices.Clone(n.status), slices.Clone(n.changes)
}

// running is one Run in the background.
type running struct {
	cancel context.CancelFunc
	done   chan error
	notes  *notes
	log    *syncbuf.Buffer
}

// start runs Run(opts) with cli until the test ends or stop is called. opts
// gets a recording Notifier and OnChange and an info-level logger.
func start(t *testing.T, cli *clientv3.Client, opts Options) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1), notes: &notes{}, log: &syncbuf.Buffer{}}
	opts.Notify, opts.OnChange = r.notes, r.notes.onChange
	opts.Log = slog.New(slog.NewTextHandler(r.log, &slog.HandlerOptions{Level: slog.LevelInfo}))
	go func() { r.done <- Run(ctx, cli, opts) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop cancels Run and waits for it (at most 10s), returning its error.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err // later calls see it too
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10s of cancel")
		return nil
	}
}

// newClient connects to endpoint (a server or a proxy).
func newClient(t *testing.T, endpoint string) *clientv3.Client {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// get returns key's value and lease ("" and 0 when absent).
func get(t *testing.T, cli *clientv3.Client, key string) (string, clientv3.LeaseID) {
	t.Helper()
	r := getResp(t, cli, key)
	if len(r.Kvs) == 0 {
		return "", 0
	}
	return string(r.Kvs[0].Value), clientv3.LeaseID(r.Kvs[0].Lease)
}

// getResp reads key, failing the test when etcd does not answer in 5 s.
func getResp(t *testing.T, cli *clientv3.Client, key string) *clientv3.GetResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := cli.Get(ctx, key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return r
}

// waitFor polls cond every 5ms until it holds, failing the test after
// within; it returns how long that took.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	t0 := time.Now()
	for !cond() {
		if time.Since(t0) > within {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(t0)
}

// registered reports whether key holds value under a lease other than not.
func registered(t *testing.T, cli *clientv3.Client, key, value string, not clientv3.LeaseID) func() bool {
	return func() bool {
		v, l := get(t, cli, key)
		return v == value && l != 0 && l != not
	}
}

func absent(t *testing.T, cli *clientv3.Client, key string) func() bool {
	return func() bool { v, l := get(t, cli, key); return v == "" && l == 0 }
}

func lastStatus(n *notes) string {
	_, st, _ := n.snapshot()
	if len(st) == 0 {
		return ""
	}
	return st[len(st)-1]
}

func hasPrefix(s, p string) bool { return strings.HasPrefix(s, p) }
