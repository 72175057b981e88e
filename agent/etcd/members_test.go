package etcd

import (
	"errors"
	"slices"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

func TestMembersTake(t *testing.T) {
	eps := []string{"http://a:2379", "http://b:2379", "http://c:2379"}
	down := errors.New("timeout")
	ok := func(ep string) probe { return probe{ep: ep, leader: true} }
	bad := func(ep string) probe { return probe{ep: ep, err: down} }
	tests := []struct {
		name     string
		rounds   [][]probe
		wantEps  []string
		wantGen  uint64
		wantUp   bool
		wantLine string
	}{
		{"all answer", [][]probe{{ok(eps[0]), ok(eps[1]), ok(eps[2])}}, eps, 0, true, ""},
		{"one failure is not out", [][]probe{{bad(eps[0]), ok(eps[1]), ok(eps[2])}}, eps, 0, true, ""},
		{"two failures: out", [][]probe{{bad(eps[0]), ok(eps[1]), ok(eps[2])}, {bad(eps[0]), ok(eps[1]), ok(eps[2])}},
			eps[1:], 1, true, "etcd member http://a:2379 not answering since 10:04:05; using 2 of 3"},
		{"back after one answer", [][]probe{{bad(eps[0]), ok(eps[1]), ok(eps[2])}, {bad(eps[0]), ok(eps[1]), ok(eps[2])}, {ok(eps[0]), ok(eps[1]), ok(eps[2])}},
			eps, 2, true, ""},
		{"none answers: endpoints kept", [][]probe{{bad(eps[0]), bad(eps[1]), bad(eps[2])}, {bad(eps[0]), bad(eps[1]), bad(eps[2])}},
			eps, 0, false, "etcd members http://a:2379 not answering since 10:04:05, http://b:2379 not answering since 10:04:05, http://c:2379 not answering since 10:04:05; using 0 of 3"},
		{"answers without a leader: no quorum", [][]probe{{{ep: eps[0]}, bad(eps[1]), bad(eps[2])}, {{ep: eps[0]}, bad(eps[1]), bad(eps[2])}},
			eps[:1], 1, false, "etcd members http://b:2379 not answering since 10:04:05, http://c:2379 not answering since 10:04:05; using 1 of 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cli, err := clientv3.New(clientv3.Config{Endpoints: eps, Logger: zap.NewNop()})
			if err != nil {
				t.Fatal(err)
			}
			defer cli.Close()
			m := NewMembers(cli, MemberOptions{})
			_, ch := m.Changed()
			at := time.Date(2026, 1, 1, 10, 4, 5, 0, time.Local)
			for i, r := range tt.rounds {
				m.take(r, at.Add(time.Duration(i)*400*time.Millisecond))
			}
			if got := cli.Endpoints(); !slices.Equal(got, tt.wantEps) {
				t.Errorf("endpoints %v, want %v", got, tt.wantEps)
			}
			gen, _ := m.Changed()
			if gen != tt.wantGen {
				t.Errorf("generation %d, want %d", gen, tt.wantGen)
			}
			select {
			case <-ch:
				if tt.wantGen == 0 {
					t.Error("changed channel closed without a change")
				}
			default:
				if tt.wantGen > 0 {
					t.Error("changed channel not closed")
				}
			}
			h := m.Health()
			if h.Up != tt.wantUp || h.String() != tt.wantLine {
				t.Errorf("health up=%v %q, want up=%v %q", h.Up, h.String(), tt.wantUp, tt.wantLine)
			}
		})
	}
}
