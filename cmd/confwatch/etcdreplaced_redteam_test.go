package main

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"go.etcd.io/etcd/server/v3/embed"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestEtcdReplacedWithLowerRevision: README, watch mode: "etcd unreachable
// at start or later: files are left alone ... the watch resumes (or
// re-lists) when etcd is back and what changed meanwhile is applied." The
// hostile return: the etcd that comes back at the same address is a new
// one (restored from an old backup, or rebuilt and re-populated by the
// registrars), whose revision is far below the one the agent watched from.
// Its data must still be applied: a watch waiting for revision 60 on an etcd
// at revision 3 would never deliver anything.
func TestEtcdReplacedWithLowerRevision(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two etcd servers")
	}
	old := testetcd.Start(t)
	for i := 0; i < 50; i++ { // push the revision up
		old.Put(t, "/services/apache/a", fmt.Sprintf("10.0.0.1:%d", 8000+i))
	}
	old.Put(t, "/services/apache/b", "10.0.0.2:80")
	d := newConfd(t)
	dest := d.classic(t, "")
	ch := listenNotify(t)
	agent := startAgent(d.args(old.Endpoint)...)
	defer func() { agent.cancel(); agent.wait(t) }()
	expect(t, ch, "READY=1", has("READY=1"))
	waitFile(t, dest, "server 10.0.0.1:8049;")

	old.Stop()
	expect(t, ch, "etcd unreachable in STATUS", has("etcd unreachable since"))
	ep, err := url.Parse(old.Endpoint)
	must(t, err)
	fresh := testetcd.StartWith(t, func(c *embed.Config) {
		c.ListenClientUrls, c.AdvertiseClientUrls = []url.URL{*ep}, []url.URL{*ep}
	})
	fresh.Put(t, "/services/apache/a", "10.0.0.7:80")
	fresh.Put(t, "/services/apache/b", "10.0.0.8:80")
	expect(t, ch, "etcd ok again in STATUS", has("etcd ok"))
	waitFile(t, dest, "server 10.0.0.8:80;")
	if got := read(t, dest); !strings.Contains(got, "server 10.0.0.7:80;") {
		t.Fatalf("dest after the replacement:\n%s", got)
	}
}
