package register

import (
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
)

func TestTerms(t *testing.T) {
	h := func(term uint64) *pb.ResponseHeader { return &pb.ResponseHeader{RaftTerm: term} }
	tests := []struct {
		name    string
		before  []*pb.ResponseHeader // answers before the grant, or while it was in flight
		granted uint64
		seen    []*pb.ResponseHeader
		stale   bool
		rose    bool
	}{
		{"same term", nil, 4, []*pb.ResponseHeader{h(4), h(4)}, false, false},
		{"an election", nil, 4, []*pb.ResponseHeader{h(5), h(4)}, true, true},
		{"two elections, one wake-up", nil, 4, []*pb.ResponseHeader{h(5), h(6)}, true, true},
		{"no header, or one without a term", nil, 4, []*pb.ResponseHeader{nil, h(0)}, false, false},
		{"an election seen while the grant was in flight", []*pb.ResponseHeader{h(7)}, 6, nil, true, false},
		{"granted in the newest term", []*pb.ResponseHeader{h(5)}, 6, []*pb.ResponseHeader{h(6)}, false, false},
		{"an etcd restored at lower terms", []*pb.ResponseHeader{h(50)}, 50, []*pb.ResponseHeader{h(2)}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTerms()
			for _, b := range tt.before {
				tr.see(b)
			}
			tr.granted(tt.granted)
			select {
			case <-tr.rose: // what came before the grant
			default:
			}
			for _, s := range tt.seen {
				tr.see(s)
			}
			if got := tr.stale(); got != tt.stale {
				t.Errorf("stale = %v, want %v", got, tt.stale)
			}
			select {
			case <-tr.rose:
				if !tt.rose {
					t.Error("rose, want not")
				}
			default:
				if tt.rose {
					t.Error("did not rise")
				}
			}
		})
	}
}

// TestTermsAfterARestore: once the lease is moved to one granted by the
// restored etcd, its terms are the measure; no rotation follows for ever.
func TestTermsAfterARestore(t *testing.T) {
	tr := newTerms()
	tr.granted(50)
	tr.see(&pb.ResponseHeader{RaftTerm: 2})
	if !tr.stale() {
		t.Fatal("not stale after an answer at a lower term")
	}
	tr.granted(2)
	tr.see(&pb.ResponseHeader{RaftTerm: 2})
	if tr.stale() {
		t.Fatal("the lease the restored etcd granted is stale")
	}
	tr.see(&pb.ResponseHeader{RaftTerm: 3})
	if !tr.stale() {
		t.Fatal("an election in the restored etcd: not stale")
	}
}
