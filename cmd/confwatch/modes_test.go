package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestConfdModes: confd's own command line selects watch mode (-watch) and
// poll mode (-interval N without -watch), built on the same loop.
func TestConfdModes(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"watch", []string{"-watch", "-backend", "etcdv3"}},
		{"interval", []string{"-interval", "1"}},
		{"run --interval", []string{"run", "--interval", "500ms"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := testetcd.Start(t)
			srv.Put(t, "/services/apache/a", "10.0.0.1:80")
			d := newConfd(t)
			dest := d.classic(t, "")
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan int, 1)
			var out, errb bytes.Buffer
			args := append([]string{"confwatch"}, tt.args...)
			args = append(args, "-confdir", d.dir, "-node", srv.Endpoint, "-state-dir", d.state, "-config", d.dir+"/confwatch.toml")
			go func() { done <- run(ctx, args, &out, &errb) }()
			waitFile(t, dest, "server 10.0.0.1:80;")
			srv.Put(t, "/services/apache/b", "10.0.0.2:80")
			waitFile(t, dest, "server 10.0.0.2:80;")
			cancel()
			select {
			case code := <-done:
				if code != 0 {
					t.Fatalf("exit %d\n%s", code, errb.String())
				}
			case <-time.After(20 * time.Second):
				t.Fatal("did not stop")
			}
		})
	}
}
