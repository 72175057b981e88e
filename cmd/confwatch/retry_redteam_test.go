package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestFailedApplyIsRetriedWithoutAChange: README, watch mode: "a failed
// apply is retried with backoff (1 s doubling to 1 min) until it succeeds or
// the data changes". The agent starts, the first run of its check (or
// reload) fails and etcd never changes again: a retry alone must apply, and
// a failed apply must have been
// rolled back in between (dest back on the last good file).
func TestFailedApplyIsRetriedWithoutAChange(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the 1 s retry backoff")
	}
	for _, which := range []string{"check_cmd", "reload_cmd"} {
		t.Run(which, func(t *testing.T) {
			srv := testetcd.Start(t)
			srv.Put(t, "/services/apache/a", "10.0.0.1:80")
			d := newConfd(t)
			cnt := filepath.Join(t.TempDir(), "count")
			// Fails on run 1, succeeds from run 2.
			flaky := fmt.Sprintf("n=$(cat %s 2>/dev/null || echo 0); n=$((n+1)); echo $n > %s; [ $n -ge 2 ]", cnt, cnt)
			other := map[string]string{"check_cmd": "reload_cmd", "reload_cmd": "check_cmd"}[which]
			dest := d.classic(t, fmt.Sprintf("%s = %q\n%s = \"true\"\nmin_reload_interval = \"0\"\n", which, flaky, other))
			must(t, os.WriteFile(dest, []byte("last good\n"), 0o644))
			ch := listenNotify(t)
			agent := startAgent(d.args(srv.Endpoint, "--ready-when", "dest-present")...)
			defer func() { agent.cancel(); agent.wait(t) }()
			expect(t, ch, "a failing first apply in STATUS", has("1 failing"))
			if got := read(t, dest); got != "last good\n" {
				t.Fatalf("after a failed %s dest = %q, want the last good file", which, got)
			}
			expect(t, ch, "the retried apply ok in STATUS", has("1 ok"))
			if got := read(t, dest); !strings.Contains(got, "server 10.0.0.1:80;") {
				t.Fatalf("STATUS ok but dest = %q", got)
			}
			// A failed reload also runs once more in the rollback: count at least 2.
			if n := strings.TrimSpace(read(t, cnt)); n < "2" || len(n) != 1 {
				t.Errorf("%s ran %s times, want at least 2 (a failure, then the success)", which, n)
			}
		})
	}
}
