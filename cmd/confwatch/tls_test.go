package main

import (
	"context"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestRenderOverTLSWithAuth: an etcd that requires client certificates and
// password authentication, and a user who may read only /services/.
func TestRenderOverTLSWithAuth(t *testing.T) {
	files := testetcd.NewTLSFiles(t)
	srv := testetcd.StartTLS(t, files)
	putClassic(t, srv)
	ctx := context.Background()
	c := srv.Client
	steps := []func() error{
		func() error { _, err := c.RoleAdd(ctx, "root"); return err },
		func() error { _, err := c.UserAdd(ctx, "root", "rootpw"); return err },
		func() error { _, err := c.UserGrantRole(ctx, "root", "root"); return err },
		func() error { _, err := c.RoleAdd(ctx, "reader"); return err },
		func() error {
			_, err := c.RoleGrantPermission(ctx, "reader", "/services/", clientv3.GetPrefixRangeEnd("/services/"), clientv3.PermissionType(clientv3.PermRead))
			return err
		},
		func() error { _, err := c.UserAdd(ctx, "cw", "secret"); return err },
		func() error { _, err := c.UserGrantRole(ctx, "cw", "reader"); return err },
		func() error { _, err := c.AuthEnable(ctx); return err },
	}
	for i, f := range steps {
		if err := f(); err != nil {
			t.Fatalf("auth setup step %d: %v", i, err)
		}
	}
	d := newConfd(t)
	dest := d.classic(t, "")
	tlsArgs := []string{"--ca-file", files.CA, "--cert-file", files.ClientCert, "--key-file", files.ClientKey}
	args := append(d.args(srv.Endpoint, "render"), append(tlsArgs, "--username", "cw", "--password", "secret")...)
	if code, out, errs := cw(t, args...); code != 0 {
		t.Fatalf("render over TLS with auth: exit %d\n%s%s", code, out, errs)
	}
	golden(t, "classic.golden", read(t, dest))

	bad := append(d.args(srv.Endpoint, "render"), append(tlsArgs, "--username", "cw", "--password", "wrong")...)
	code, _, errs := cw(t, bad...)
	if code == 0 {
		t.Fatal("render with a wrong password succeeded")
	}
	contains(t, "stderr", errs, "authentication failed")

	noCert := append(d.args(srv.Endpoint, "render", "--dial-timeout", "2s"), "--ca-file", files.CA, "--username", "cw", "--password", "secret")
	if code, _, errs = cw(t, noCert...); code != exitNoEtcd {
		t.Fatalf("render without a client certificate: exit %d\n%s", code, errs)
	}
	contains(t, "stderr", errs, srv.Endpoint, "tls: certificate required")
}
