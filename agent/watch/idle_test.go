package watch

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/agent/etcd"
	"github.com/confwatch/confwatch/internal/syncbuf"
	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestIdleWatchIsAnsweredNotStalled: on an idle cluster a directory watch
// asks for progress and must get an answer (etcd >= 3.5, as embedded here,
// answers only watches that start at a revision it has). The bug: the watch
// opened at rev+1, every progress request went unanswered, and the agent
// declared the stream stalled and "etcd degraded" every few seconds on a
// healthy etcd. The test waits for the progress answer, then for a write made
// afterwards, and requires no stall to have been logged; events of the
// revision the watch opened at are not delivered twice.
func TestIdleWatchIsAnsweredNotStalled(t *testing.T) {
	srv := testetcd.Start(t)
	rev := srv.Put(t, "/x/a", "1")
	cli := newClient(t, srv.Endpoint)
	var logs syncbuf.Buffer
	m := etcd.NewMembers(cli, etcd.MemberOptions{})
	out := make(chan update, 64)
	w := &dirWatcher{cli: cli, dir: "/x", log: slog.New(slog.NewTextHandler(&logs, nil)), out: out,
		rt: 5 * time.Second, members: m, nudge: make(chan struct{}, 1), stalls: newStallSet()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { m.Run(ctx); done <- struct{}{} }()
	go func() { w.run(ctx, rev); done <- struct{}{} }()
	defer func() { cancel(); <-done; <-done }()

	next := func(what string) update {
		t.Helper()
		select {
		case u := <-out:
			return u
		case <-time.After(15 * time.Second):
			t.Fatalf("no %s from the watch; log:\n%s", what, logs.String())
			return update{}
		}
	}
	// The replay of rev (dropped: a progress update) and then at least one
	// answer to a progress request.
	for i := range 2 {
		u := next("progress answer on the idle watch")
		if !u.progress || len(u.events) != 0 || u.rev != rev {
			t.Fatalf("update %d %+v: want progress at rev %d (the event at %d is not delivered again)", i, u, rev, rev)
		}
	}
	srv.Put(t, "/x/b", "2")
	u := next("the write")
	for ; u.progress; u = next("the write") {
	}
	if len(u.events) != 1 || u.events[0].key != "/x/b" {
		t.Fatalf("update %+v: want the put of /x/b alone", u)
	}
	if l := logs.String(); strings.Contains(l, "stalled") {
		t.Fatalf("a healthy idle watch was declared stalled:\n%s", l)
	}
}
