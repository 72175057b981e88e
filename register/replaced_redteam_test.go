package register

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
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
		deleteKey(t, fresh)
		took := waitFor(t, restoreWithin, "restored after a delete", registered(t, fresh.Client, key, "v", 0))
		t.Logf("restored %v after the delete", took.Round(time.Millisecond))
	})
	t.Logf("status: %s", lastStatus(r.notes))
}

// TestRegistrationSurvivesARestoredEtcd: as above, but the etcd is restored
// from a backup taken after the registration, at a lower revision than the
// key's last change the sidekick watched: the lease and the key are still
// there, so only the revision of etcd's answers (the keep-alive's) shows that
// the watch waits for a revision this etcd is far from. A delete of the key
// must still be repaired. (The sidekick goes through a proxy, cut before
// each stop, so etcd stops at once instead of waiting 7s for its streams.)
func TestRegistrationSurvivesARestoredEtcd(t *testing.T) {
	skipShort(t)
	srv := testetcd.Start(t)
	proxy := testetcd.NewProxy(t, srv)
	r := start(t, newClient(t, proxy.Endpoint), Options{Key: key, Value: "v", TTL: 10 * time.Second})
	waitFor(t, 5*time.Second, "registered", registered(t, srv.Client, key, "v", 0))
	_, lease := get(t, srv.Client, key)

	backup := filepath.Join(t.TempDir(), "backup")
	proxy.Cut()
	srv.Stop()
	if err := os.CopyFS(backup, os.DirFS(srv.Dir)); err != nil {
		t.Fatal(err)
	}
	srv.Restart(t)
	proxy.Restore()
	for i := 0; i < 50; i++ { // push the revision up
		srv.Put(t, "/other", "x")
	}
	deleteKey(t, srv) // the watch sees the key change at the high revision
	waitFor(t, restoreWithin, "restored after a delete", registered(t, srv.Client, key, "v", 0))

	proxy.Cut()
	srv.Stop()
	srv.Dir = backup
	srv.Restart(t)
	proxy.Restore()
	if v, l := get(t, srv.Client, key); v != "v" || l != lease {
		t.Fatalf("restored etcd holds %q under lease %x, want the backup's v under %x", v, l, lease)
	}

	deleteKey(t, srv)
	took := waitFor(t, restoreWithin, "restored after a delete in the restored etcd", registered(t, srv.Client, key, "v", 0))
	t.Logf("restored %v after the delete; status: %s", took.Round(time.Millisecond), lastStatus(r.notes))
}

// deleteKey deletes key in srv, failing unless it was there.
func deleteKey(t *testing.T, srv *testetcd.Server) {
	t.Helper()
	resp, err := srv.Client.Delete(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Deleted != 1 {
		t.Fatalf("delete %s: deleted %d keys, want 1", key, resp.Deleted)
	}
}
