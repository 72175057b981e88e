package register

import (
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
)

func TestTerms(t *testing.T) {
	h := func(term uint64) *pb.ResponseHeader { return &pb.ResponseHeader{RaftTerm: term} }
	tests := []struct {
		name  string
		reset uint64
		seen  []*pb.ResponseHeader
		max   uint64
		rose  bool
	}{
		{"same term", 4, []*pb.ResponseHeader{h(4), h(4)}, 4, false},
		{"a lagging member", 4, []*pb.ResponseHeader{h(3)}, 4, false},
		{"an election", 4, []*pb.ResponseHeader{h(3), h(5), h(4)}, 5, true},
		{"two elections, one wake-up", 4, []*pb.ResponseHeader{h(5), h(6)}, 6, true},
		{"no header", 4, []*pb.ResponseHeader{nil}, 4, false},
		{"a cluster at lower terms after the grant", 2, nil, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTerms()
			tr.see(h(50)) // an answer from before the grant
			<-tr.rose
			tr.reset(tt.reset)
			for _, s := range tt.seen {
				tr.see(s)
			}
			if got := tr.max.Load(); got != tt.max {
				t.Errorf("max = %d, want %d", got, tt.max)
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
