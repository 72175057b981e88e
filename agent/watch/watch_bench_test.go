package watch

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/agent/apply"
	"github.com/confwatch/confwatch/agent/engine"
	"github.com/confwatch/confwatch/agent/kv"
	"github.com/confwatch/confwatch/agent/resource"
	"github.com/confwatch/confwatch/agent/state"
	"github.com/confwatch/confwatch/internal/testetcd"
)

// benchSizes are the key counts of `make bench`.
var benchSizes = []int{0, 1000, 10000, 100000}

func benchAddr(family, i int) string {
	return fmt.Sprintf("10.%d.%d.%d:8080", family+i>>16, i>>8&255, i&255)
}

// nopReloader counts nothing and costs nothing.
type nopReloader struct{}

func (nopReloader) Reload(context.Context) error { return nil }
func (nopReloader) String() string               { return "nop" }

// benchLoop is a Loop over the classic resource with dest in b.TempDir(), a
// no-op reload, and hooks set by the caller.
func benchLoop(b *testing.B, cli *clientv3.Client, hooks Hooks) *Loop {
	b.Helper()
	dir := b.TempDir()
	for _, d := range []string{"conf.d", "templates", "out"} {
		must(b, os.MkdirAll(filepath.Join(dir, d), 0o755))
	}
	toml := fmt.Sprintf("[template]\nsrc = \"nginx.tmpl\"\ndest = %q\nkeys = [\"/services/apache\"]\n"+
		"allow_empty = true\nmax_shrink = \"100%%\"\n", filepath.Join(dir, "out", "upstream.conf"))
	must(b, os.WriteFile(filepath.Join(dir, "conf.d", "nginx.toml"), []byte(toml), 0o644))
	must(b, os.WriteFile(filepath.Join(dir, "templates", "nginx.tmpl"), []byte(classic), 0o644))
	res, probs := resource.LoadAll(resource.Options{ConfDir: dir})
	must(b, probs.Err())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng, probs := engine.New(res, engine.Options{Log: log, State: &state.Store{},
		Reloaders: func(*resource.Resource) apply.Reloader { return nopReloader{} }})
	must(b, probs.Err())
	return New(Options{Client: cli, Engine: eng, Log: log, Hooks: hooks})
}

// BenchmarkTake is the cache side of one watch event: a put of a new key
// then its delete into the live tree, and the scheduler marking the group.
func BenchmarkTake(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			l := benchLoop(b, nil, Hooks{})
			pairs := make([]kv.Pair, n)
			for i := range pairs {
				a := benchAddr(0, i)
				pairs[i] = kv.Pair{Key: "/services/apache/" + a, Value: a}
			}
			l.take(update{dir: "/services/apache", rev: 1, reset: true, pairs: pairs})
			key := "/services/apache/" + benchAddr(100, 0)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				u := update{dir: "/services/apache", rev: int64(i + 1), events: []event{{key: key, value: "x", del: i%2 == 0}}}
				l.take(u)
			}
		})
	}
}

// BenchmarkPutToApplied is one change end to end, in process: a put to an
// embedded etcd until the agent's transaction is done (dest renamed, no-op
// reload). It exists to be profiled:
//
//	go test -run '^$' -bench PutToApplied/keys=10000 -cpuprofile cpu.out ./agent/watch
//
// The profile also holds the embedded etcd; focus on agent/ and text/template.
func BenchmarkPutToApplied(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) { benchPutToApplied(b, n) })
	}
}

// benchEtcd starts an embedded etcd holding n keys under /services/apache.
func benchEtcd(b *testing.B, n int) *testetcd.Server {
	srv := testetcd.Start(b)
	for i := 0; i < n; i += 128 {
		var ops []clientv3.Op
		for j := i; j < min(i+128, n); j++ {
			a := benchAddr(0, j)
			ops = append(ops, clientv3.OpPut("/services/apache/"+a, a))
		}
		_, err := srv.Client.Txn(context.Background()).Then(ops...).Commit()
		must(b, err)
	}
	return srv
}

// BenchmarkFirstApplied is a loop's start up to its first transaction done:
// the list of n keys, the cache, the first render and apply (the process's
// own start and the client's connect excluded).
func BenchmarkFirstApplied(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			srv := benchEtcd(b, n)
			b.ReportAllocs()
			for b.Loop() {
				applied := make(chan struct{}, 1)
				l := benchLoop(b, srv.Client, Hooks{Applied: func(string, []engine.Result, time.Duration) {
					select {
					case applied <- struct{}{}:
					default:
					}
				}})
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- l.Run(ctx) }()
				select {
				case <-applied:
				case <-time.After(time.Minute):
					b.Fatal("no apply within a minute")
				}
				cancel()
				must(b, <-done)
			}
		})
	}
}

func benchPutToApplied(b *testing.B, n int) {
	srv := benchEtcd(b, n)
	ctx := context.Background()
	applied := make(chan struct{}, 16)
	l := benchLoop(b, srv.Client, Hooks{Applied: func(string, []engine.Result, time.Duration) { applied <- struct{}{} }})
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- l.Run(lctx) }()
	defer func() { cancel(); <-done }()
	wait := func() {
		select {
		case <-applied:
		case <-time.After(time.Minute):
			b.Fatal("no apply within a minute")
		}
	}
	wait() // the first render
	key, val := "/services/apache/"+benchAddr(100, 0), benchAddr(100, 0)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		var err error
		if i++; i%2 == 1 {
			_, err = srv.Client.Put(ctx, key, val)
		} else {
			_, err = srv.Client.Delete(ctx, key)
		}
		must(b, err)
		wait()
	}
}
