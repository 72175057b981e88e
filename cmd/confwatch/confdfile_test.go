package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestConfigFileIsTemplateResource runs the seed's own command line, which
// passes a template resource as -config-file: one warning says so, and the
// resource is still rendered from conf.d/.
func TestConfigFileIsTemplateResource(t *testing.T) {
	srv := testetcd.Start(t)
	srv.Put(t, "/services/apache/10.0.0.1:8080", "10.0.0.1:8080")
	d := newConfd(t)
	dest := d.classic(t, "")
	t.Setenv("CONFWATCH_CONFIG", filepath.Join(d.dir, "confwatch.toml"))
	t.Setenv("CONFWATCH_STATE_DIR", d.state)
	code, out, errs := cw(t, "-onetime", "-node", srv.Endpoint, "-config-file", filepath.Join(d.dir, "conf.d", "nginx.toml"), "-confdir", d.dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	if n := strings.Count(errs, "this is a template resource"); n != 1 || strings.Contains(errs, "unknown confd key") {
		t.Errorf("want one warning naming the template resource, got %d:\n%s", n, errs)
	}
	contains(t, "dest", read(t, dest), "server 10.0.0.1:8080")
}
