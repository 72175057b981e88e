package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestWaitMaxBoundsANeverQuietStream: README: `wait = "2s:10s"` "waits
// for 2 s of quiet, at most 10 s after the first change". Hostile data: a
// registrar flapping for ever, a put every 50 ms, so the quiet never comes.
// With wait = "300ms:600ms" the agent must still apply while the stream goes on
// (the max bound), again and again, not starve until it stops.
func TestWaitMaxBoundsANeverQuietStream(t *testing.T) {
	if testing.Short() {
		t.Skip("a stream of puts for seconds")
	}
	srv := testetcd.Start(t)
	srv.Put(t, "/services/apache/a", "10.0.0.1:80")
	d := newConfd(t)
	dest := d.classic(t, "wait = \"300ms:600ms\"\n")
	ch := listenNotify(t)
	agent := startAgent(d.args(srv.Endpoint)...)
	defer func() { agent.cancel(); agent.wait(t) }()
	expect(t, ch, "READY=1", has("READY=1"))

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { stop(); wg.Wait() }()
	wg.Go(func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			if _, err := srv.Client.Put(ctx, "/services/apache/flap", fmt.Sprintf("10.1.0.%d:80", i%250)); err != nil {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
	waitFile(t, dest, "server 10.1.0.") // within the stream, which never pauses
	first := read(t, dest)
	for i := 0; read(t, dest) == first; i++ { // and again, a max later: not a one-off
		if i == 400 {
			t.Fatal("no second apply while the stream went on")
		}
		time.Sleep(25 * time.Millisecond)
	}
	if !strings.Contains(read(t, dest), "server 10.0.0.1:80;") {
		t.Fatalf("dest lost the steady backend:\n%s", read(t, dest))
	}
}
