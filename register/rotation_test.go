package register

// Lease rotation's failure paths, found by a review of d763aa9 (each test
// failed on it): a clientv3.Client built by NewCtxClient with fake Lease and
// KV, no etcd; each drives sync() and stop() directly.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

const leaseA, leaseB clientv3.LeaseID = 0xA, 0xB

type reviewLease struct {
	clientv3.Lease // nil: any other method panics
	grant          func() (*clientv3.LeaseGrantResponse, error)
	revoke         func(clientv3.LeaseID) (*clientv3.LeaseRevokeResponse, error)
}

func (f *reviewLease) Grant(context.Context, int64) (*clientv3.LeaseGrantResponse, error) {
	return f.grant()
}

func (f *reviewLease) Revoke(_ context.Context, id clientv3.LeaseID) (*clientv3.LeaseRevokeResponse, error) {
	return f.revoke(id)
}

func (f *reviewLease) KeepAliveOnce(ctx context.Context, _ clientv3.LeaseID) (*clientv3.LeaseKeepAliveResponse, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (f *reviewLease) Close() error { return nil }

type reviewKV struct {
	clientv3.KV
	put func() (*clientv3.PutResponse, error)
}

func (f *reviewKV) Put(context.Context, string, string, ...clientv3.OpOption) (*clientv3.PutResponse, error) {
	return f.put()
}

func revokedAt(rev int64) (*clientv3.LeaseRevokeResponse, error) {
	return &clientv3.LeaseRevokeResponse{Header: &pb.ResponseHeader{Revision: rev}}, nil
}

// reviewRunner is a runner registered under lease A, granted in term 5,
// whose keep-alive has just seen term 6 (an election).
func reviewRunner(t *testing.T, l *reviewLease, kv *reviewKV) (*runner, *notes) {
	t.Helper()
	cli := clientv3.NewCtxClient(context.Background())
	cli.Lease, cli.KV = l, kv
	t.Cleanup(func() { _ = cli.Close() })
	n := &notes{}
	r := newRunner(cli, Options{Key: "/k", Value: "v", TTL: 30 * time.Second, Notify: n, OnChange: n.onChange}.withDefaults())
	r.lease, r.ttl = leaseA, 30
	r.terms.granted(5)
	r.intact, r.sent, r.putRev = true, true, 10
	r.report(true, "lease A")
	r.terms.see(&pb.ResponseHeader{RaftTerm: 6})
	return r, n
}

func grantB(term uint64) func() (*clientv3.LeaseGrantResponse, error) {
	return func() (*clientv3.LeaseGrantResponse, error) {
		return &clientv3.LeaseGrantResponse{ResponseHeader: &pb.ResponseHeader{RaftTerm: term, Revision: 10}, ID: leaseB, TTL: 30}, nil
	}
}

// Was: a failed grant during a rotation reports "unregistered" (STATUS=,
// OnChange(false)) while the key is present under lease A, still kept alive.
func TestFailedRotationStaysRegistered(t *testing.T) {
	l := &reviewLease{
		grant:  func() (*clientv3.LeaseGrantResponse, error) { return nil, context.DeadlineExceeded },
		revoke: func(clientv3.LeaseID) (*clientv3.LeaseRevokeResponse, error) { return revokedAt(11) },
	}
	r, n := reviewRunner(t, l, &reviewKV{})
	if err := r.sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer r.stop()
	if len(r.retiring) != 1 || r.retiring[0].id != leaseA {
		t.Fatalf("retiring %v, want lease A (the key is on it)", r.retiring)
	}
	if _, st, ch := n.snapshot(); strings.Join(ch, ",") != "up" {
		t.Errorf("key present under A throughout, yet OnChange %v, last STATUS %q", ch, st[len(st)-1])
	}
}

// Was: a put under the new lease that etcd refuses (too many requests,
// no space, ...) clears sent and flips registered, so a stop in that window
// skips the drain barrier and the drain, though the key was visible under
// lease A until the stop's own revoke deleted it.
func TestStopDuringARotationDrains(t *testing.T) {
	l := &reviewLease{
		grant: grantB(6),
		revoke: func(id clientv3.LeaseID) (*clientv3.LeaseRevokeResponse, error) {
			if id == leaseB {
				return revokedAt(11) // B held nothing
			}
			return revokedAt(12) // A held the key: this deleted it
		},
	}
	kv := &reviewKV{put: func() (*clientv3.PutResponse, error) { return nil, rpctypes.ErrTooManyRequests }}
	r, _ := reviewRunner(t, l, kv)
	if err := r.sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.stop()
	if !r.heldAtStop {
		t.Errorf("stop deleted the key (lease A, revision %d) but heldAtStop is false: no barrier, no drain", r.stopRev)
	}
}

// Was: stopRev comes from a revoke that deleted nothing while the revoke
// of the lease holding the key failed: the barrier then reports every load
// balancer at "the deletion" while the key is still in etcd (until the TTL).
func TestStopRevUnknownWhenARevokeFails(t *testing.T) {
	l := &reviewLease{
		revoke: func(id clientv3.LeaseID) (*clientv3.LeaseRevokeResponse, error) {
			if id == leaseB {
				return nil, errors.New("context deadline exceeded") // the key is on B: still there
			}
			return revokedAt(100) // A held nothing
		},
	}
	r, _ := reviewRunner(t, l, &reviewKV{})
	// Mid-rotation: the put under B was sent, its answer lost (applied).
	r.retiring = []retired{{id: leaseA}}
	r.lease, r.intact, r.sent = leaseB, false, true
	r.stop()
	if r.stopRev != 0 {
		t.Errorf("stopRev %d: a revision at which the key (on B, whose revoke failed) still exists; want 0 (unknown: barrier skipped)", r.stopRev)
	}
}

// Was: a term seen while the grant is in flight (the retired lease's
// keep-alive answering from a newer leader) is overwritten by reset: the new
// lease, granted in the old term, is not seen as stale.
func TestElectionDuringTheGrantCounts(t *testing.T) {
	var r *runner
	l := &reviewLease{
		grant: func() (*clientv3.LeaseGrantResponse, error) {
			r.terms.see(&pb.ResponseHeader{RaftTerm: 7}) // A's keep-alive, meanwhile
			return grantB(6)()
		},
		revoke: func(clientv3.LeaseID) (*clientv3.LeaseRevokeResponse, error) { return revokedAt(12) },
	}
	kv := &reviewKV{put: func() (*clientv3.PutResponse, error) {
		return &clientv3.PutResponse{Header: &pb.ResponseHeader{RaftTerm: 6, Revision: 11}}, nil
	}}
	r, _ = reviewRunner(t, l, kv)
	if err := r.sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer r.stop()
	if !r.staleLease() {
		t.Errorf("lease B granted in term 6 after term 7 was seen; max %d: not stale", r.terms.max.Load())
	}
}

// Was: after an etcd restored from a snapshot (raft term back to 1, the
// lease and key kept), no election there rotates the lease until the terms
// pass the old cluster's.
func TestRestoredEtcdRotates(t *testing.T) {
	r, _ := reviewRunner(t, &reviewLease{}, &reviewKV{})
	r.terms.granted(50)
	r.terms.see(&pb.ResponseHeader{RaftTerm: 2}) // the restored cluster
	r.terms.see(&pb.ResponseHeader{RaftTerm: 3}) // an election in it
	if !r.staleLease() {
		t.Error("an election in the restored cluster does not rotate lease A")
	}
}

// TestRefusedLeaseIsNotKept: a lease whose put etcd refused holds no key;
// the next rotation revokes it instead of keeping it alive with the rest
// (which made every stop wait for one more revoke per election).
func TestRefusedLeaseIsNotKept(t *testing.T) {
	revoked := map[clientv3.LeaseID]int{}
	next := leaseB
	l := &reviewLease{
		grant: func() (*clientv3.LeaseGrantResponse, error) {
			id := next
			next++
			return &clientv3.LeaseGrantResponse{ResponseHeader: &pb.ResponseHeader{RaftTerm: 6, Revision: 10}, ID: id, TTL: 30}, nil
		},
		revoke: func(id clientv3.LeaseID) (*clientv3.LeaseRevokeResponse, error) { revoked[id]++; return revokedAt(12) },
	}
	kv := &reviewKV{put: func() (*clientv3.PutResponse, error) { return nil, rpctypes.ErrTooManyRequests }}
	r, _ := reviewRunner(t, l, kv)
	if err := r.sync(context.Background()); err != nil { // A retired, B granted, its put refused
		t.Fatal(err)
	}
	r.terms.see(&pb.ResponseHeader{RaftTerm: 7})
	r.retry = nil
	if err := r.sync(context.Background()); err != nil { // B dropped, C granted, refused
		t.Fatal(err)
	}
	defer r.stop()
	if len(r.retiring) != 1 || r.retiring[0].id != leaseA || revoked[leaseB] != 1 {
		t.Errorf("retiring %v, revoked %v; want only A kept (the key is on it) and B revoked", r.retiring, revoked)
	}
}
