package watch

import (
	"reflect"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/agent/kv"
	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestDeleteAndPutInOneResponse: a key deleted and put again while the
// agent's connection was cut reaches the agent as one catch-up response
// (put, delete, put). Its events must be applied in revision order: the key
// is live at the end and must be rendered (issue 12.1).
func TestDeleteAndPutInOneResponse(t *testing.T) {
	srv := testetcd.Start(t)
	proxy := testetcd.NewProxy(t, srv)
	srv.Put(t, "/services/apache/a", "10.0.0.1:80")
	h := start(t, proxy.Endpoint, "")
	h.waitDest(t, h.want(t, map[string]string{"/services/apache/a": "10.0.0.1:80"}), 10*time.Second)

	proxy.Cut()
	srv.Put(t, "/services/apache/zz", "10.0.0.9:80")
	srv.Delete(t, "/services/apache/zz")
	srv.Put(t, "/services/apache/zz", "10.0.0.10:80")
	proxy.Restore()

	h.waitDest(t, h.want(t, map[string]string{
		"/services/apache/a":  "10.0.0.1:80",
		"/services/apache/zz": "10.0.0.10:80",
	}), 20*time.Second)
}

func TestResponseUpdateKeepsOrder(t *testing.T) {
	ev := func(typ mvccpb.Event_EventType, key, value string, rev int64) *clientv3.Event {
		return &clientv3.Event{Type: typ, Kv: &mvccpb.KeyValue{Key: []byte(key), Value: []byte(value), ModRevision: rev}}
	}
	put, del := mvccpb.PUT, mvccpb.DELETE
	tests := []struct {
		name    string
		evs     []*clientv3.Event
		want    []event
		wantRev int64
	}{
		{"put delete put", []*clientv3.Event{ev(put, "/d/zz", "a", 5), ev(del, "/d/zz", "", 6), ev(put, "/d/zz", "b", 7)},
			[]event{{key: "/d/zz", value: "a"}, {key: "/d/zz", del: true}, {key: "/d/zz", value: "b"}}, 7},
		{"delete after put", []*clientv3.Event{ev(put, "/d/k", "a", 3), ev(del, "/d/k", "", 4)},
			[]event{{key: "/d/k", value: "a"}, {key: "/d/k", del: true}}, 4},
		{"siblings dropped, their revision kept", []*clientv3.Event{ev(put, "/d/k", "a", 3), ev(put, "/d2/x", "y", 9)},
			[]event{{key: "/d/k", value: "a"}}, 9},
		{"only siblings", []*clientv3.Event{ev(put, "/dx", "y", 2)}, nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := responseUpdate("/d", tt.evs)
			if !reflect.DeepEqual(u.events, tt.want) || u.rev != tt.wantRev {
				t.Fatalf("got %+v rev %d, want %+v rev %d", u.events, u.rev, tt.want, tt.wantRev)
			}
			tr := kv.NewTree()
			l := &Loop{trees: map[string]*kv.Tree{"/d": tr}, synced: map[string]bool{"/d": true}, dirRev: map[string]int64{},
				sched: &scheduler{groups: map[string]*gstate{}, byDir: map[string][]string{}}}
			l.take(u)
			want := kv.NewTree()
			for _, e := range tt.want {
				if e.del {
					want.Delete(e.key)
				} else {
					want.Put(e.key, e.value)
				}
			}
			if !tr.Same(want.Pairs()) {
				t.Fatalf("tree %v, want %v", tr.Pairs(), want.Pairs())
			}
		})
	}
}
