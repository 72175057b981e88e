package testetcd

import (
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// RootPassword is the password of the root user EnableAuth creates.
const RootPassword = "rootpw"

// EnableAuth turns on etcd authentication with a root user (RootPassword)
// and user with password, who may only read the key prefixes given. From
// then on s.Client is root's, so Put and Delete keep working. A plain
// (non-TLS) server only.
func (s *Server) EnableAuth(t testing.TB, user, password string, prefixes ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := s.Client
	steps := []func() error{
		func() error { _, err := c.RoleAdd(ctx, "root"); return err },
		func() error { _, err := c.UserAdd(ctx, "root", RootPassword); return err },
		func() error { _, err := c.UserGrantRole(ctx, "root", "root"); return err },
		func() error { _, err := c.RoleAdd(ctx, "reader"); return err },
		func() error { _, err := c.UserAdd(ctx, user, password); return err },
		func() error { _, err := c.UserGrantRole(ctx, user, "reader"); return err },
	}
	for _, p := range prefixes {
		steps = append(steps, func() error {
			_, err := c.RoleGrantPermission(ctx, "reader", p, clientv3.GetPrefixRangeEnd(p), clientv3.PermissionType(clientv3.PermRead))
			return err
		})
	}
	steps = append(steps, func() error { _, err := c.AuthEnable(ctx); return err })
	for i, f := range steps {
		if err := f(); err != nil {
			t.Fatalf("auth setup step %d: %v", i, err)
		}
	}
	root, err := clientv3.New(clientv3.Config{Endpoints: []string{s.Endpoint}, DialTimeout: 5 * time.Second,
		Logger: zap.NewNop(), Username: "root", Password: RootPassword})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = root.Close() })
	s.Client = root
}

// ClientAs returns a client for user; it closes with the test.
func (s *Server) ClientAs(t testing.TB, user, password string) *clientv3.Client {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{s.Endpoint}, DialTimeout: 5 * time.Second,
		Logger: zap.NewNop(), Username: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}
