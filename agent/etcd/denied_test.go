package etcd_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"

	"github.com/confwatch/confwatch/agent/etcd"
	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestReadForbiddenDir: a user who may read only /services/ reads /other
// among others. Read used to fail as a whole with a bare "permission
// denied"; now only /other has an error, naming it and the user, and every
// other directory is read at one revision.
func TestReadForbiddenDir(t *testing.T) {
	srv := testetcd.Start(t)
	var many []string
	for i := range 200 {
		d := fmt.Sprintf("/services/s%03d", i)
		many = append(many, d)
		srv.Put(t, d+"/k", "v")
	}
	srv.Put(t, "/other/k", "secret")
	srv.EnableAuth(t, "cw", "secret", "/services/")
	cli := srv.ClientAs(t, "cw", "secret")
	for _, tc := range []struct {
		name string
		dirs []string
	}{
		{"among a few", []string{"/services/s000", "/other", "/services/s001"}},
		{"first", []string{"/other", "/services/s000"}},
		{"in the second transaction", append(append([]string{}, many...), "/other")},
		{"alone", []string{"/other"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			snap, err := etcd.Read(ctx, cli, tc.dirs)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			derr := snap.Err("/other")
			if !errors.Is(derr, rpctypes.ErrPermissionDenied) {
				t.Fatalf("Err(/other) = %v, want permission denied", derr)
			}
			if msg := derr.Error(); !strings.Contains(msg, "/other") || !strings.Contains(msg, `"cw"`) {
				t.Fatalf("Err(/other) = %q: want the directory and the user named", msg)
			}
			if len(snap.Dirs["/other"]) != 0 {
				t.Fatalf("forbidden directory has entries: %v", snap.Dirs["/other"])
			}
			for _, d := range tc.dirs {
				if d == "/other" {
					continue
				}
				if err := snap.Err(d); err != nil {
					t.Fatalf("Err(%s) = %v", d, err)
				}
				if es := snap.Dirs[d]; len(es) != 1 || es[0].ModRevision > snap.Revision {
					t.Fatalf("dir %s: %+v at snapshot revision %d", d, es, snap.Revision)
				}
			}
		})
	}
}
