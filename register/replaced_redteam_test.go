package register

import (
	"context"
	"net/url"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// replaceEtcd stops old and starts an empty etcd at its client address: an
// etcd restored from an old backup, or rebuilt, whose revision is far below
// the one clients saw.
func replaceEtcd(t *testing.T, old *testetcd.Server) *testetcd.Server {
	t.Helper()
	ep, err := url.Parse(old.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	old.Stop()
	return testetcd.StartWith(t, func(c *embed.Config) {
		c.ListenClientUrls, c.AdvertiseClientUrls = []url.URL{*ep}, []url.URL{*ep}
	})
}

// TestRegistrationSurvivesAReplacedEtcd: README, Commands: register "keeps
// K=V in etcd under a lease while the backend is healthy". The etcd it
// registered in is replaced by an empty one at the same address, at a much
// lower revision. The key must come back there, and must come back again
// when someone then deletes it (as TestRestoresRegistration does on an etcd
// that never went away).
func TestRegistrationSurvivesAReplacedEtcd(t *testing.T) {
	skipShort(t)
	old := testetcd.Start(t)
	for i := 0; i < 50; i++ { // push the revision up
		old.Put(t, "/other", "x")
	}
	r := start(t, newClient(t, old.Endpoint), Options{Key: key, Value: "v", TTL: 3 * time.Second})
	waitFor(t, 5*time.Second, "registered", registered(t, old.Client, key, "v", 0))

	fresh := replaceEtcd(t, old)
	took := waitFor(t, restoreWithin+5*time.Second, "registered in the new etcd", registered(t, fresh.Client, key, "v", 0))
	t.Logf("registered in the new etcd %v after it started", took.Round(time.Millisecond))

	t.Run("then deleted", func(t *testing.T) {
		if _, err := fresh.Client.Delete(context.Background(), key); err != nil {
			t.Fatal(err)
		}
		waitFor(t, restoreWithin, "restored after a delete", registered(t, fresh.Client, key, "v", 0))
	})
	t.Logf("status: %s", lastStatus(r.notes))
}
