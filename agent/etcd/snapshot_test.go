package etcd_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"

	"github.com/confwatch/confwatch/agent/etcd"
	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestReadManyDirs reads more directories than one etcd transaction may
// hold (--max-txn-ops, 128 by default in etcd and in embed), and with a
// server limit lower than Read's own chunk size; every directory must come
// back whole, at one revision.
func TestReadManyDirs(t *testing.T) {
	if embed.DefaultMaxTxnOps != 128 {
		t.Fatalf("embed's default MaxTxnOps is %d; this test assumes etcd's 128", embed.DefaultMaxTxnOps)
	}
	for _, tc := range []struct {
		name   string
		maxOps uint // 0: the default
		dirs   int
	}{
		{"default limit, 300 dirs", 0, 300},
		{"limit 50, 300 dirs", 50, 300},
		{"default limit, 128 dirs", 0, 128},
		{"no dirs", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := testetcd.StartWith(t, func(c *embed.Config) {
				if tc.maxOps > 0 {
					c.MaxTxnOps = tc.maxOps
				}
			})
			var dirs []string
			for i := range tc.dirs {
				d := fmt.Sprintf("/d%03d", i)
				dirs = append(dirs, d)
				srv.Put(t, d+"/k", d)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			snap, err := etcd.Read(ctx, srv.Client, dirs)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if len(snap.Dirs) != tc.dirs {
				t.Fatalf("got %d directories, want %d", len(snap.Dirs), tc.dirs)
			}
			for _, d := range dirs {
				es := snap.Dirs[d]
				if len(es) != 1 || es[0].Key != d+"/k" || es[0].Value != d {
					t.Fatalf("dir %s: got %+v", d, es)
				}
				if es[0].ModRevision > snap.Revision {
					t.Fatalf("dir %s: key at revision %d, after the snapshot's %d", d, es[0].ModRevision, snap.Revision)
				}
			}
		})
	}
}

// TestReadOneRevision checks that directories read in several transactions
// still show one revision: a write after the first transaction must not
// appear in a later one; when that revision is compacted meanwhile, Read
// starts again at a new revision instead of failing.
func TestReadOneRevision(t *testing.T) {
	for _, tc := range []struct {
		name    string
		compact bool
		want    string
	}{
		{"write between transactions", false, "old"},
		{"write and compaction between transactions", true, "new"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := testetcd.Start(t)
			var dirs []string
			for i := range 200 {
				d := fmt.Sprintf("/r%03d", i)
				dirs = append(dirs, d)
				srv.Put(t, d+"/k", "old")
			}
			calls := 0
			restore := etcd.SetBetweenTxns(func() {
				calls++
				if calls > 1 {
					return
				}
				rev := srv.Put(t, dirs[199]+"/k", "new")
				if tc.compact {
					if _, err := srv.Client.Compact(context.Background(), rev); err != nil {
						t.Fatal(err)
					}
				}
			})
			defer restore()
			snap, err := etcd.Read(context.Background(), srv.Client, dirs)
			if err != nil {
				t.Fatal(err)
			}
			if calls == 0 {
				t.Fatal("Read used one transaction for 200 directories")
			}
			if v := snap.Dirs[dirs[199]][0].Value; v != tc.want {
				t.Fatalf("last directory shows %q, want %q (snapshot revision %d)", v, tc.want, snap.Revision)
			}
			if v := snap.Dirs[dirs[0]][0].Value; v != "old" {
				t.Fatalf("first directory shows %q", v)
			}
		})
	}
}
