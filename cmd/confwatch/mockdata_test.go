package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckMockData renders a confd tree from a mock data file with no etcd
// (the endpoints point nowhere), as a config repository's CI would.
func TestCheckMockData(t *testing.T) {
	const upstream = "{\"/services/apache/10.0.0.2:8080\": \"10.0.0.2:8080\", \"/services/apache/10.0.0.10:8080\": \"10.0.0.10:8080\"}"
	tests := []struct {
		name  string
		mock  string
		setup func(t *testing.T, d *confd)
		args  []string
		code  int
	}{
		{"renders", upstream, func(t *testing.T, d *confd) { d.classic(t, "") }, nil, 0},
		{"yaml", "services:\n  apache:\n    a: 10.0.0.1:80\n", func(t *testing.T, d *confd) { d.classic(t, "") }, nil, 0},
		{"missing key", upstream, func(t *testing.T, d *confd) {
			d.classic(t, "")
			must(t, os.WriteFile(filepath.Join(d.dir, "templates", "nginx.tmpl"), []byte("port {{getv \"/services/apache/port\"}}\n"), 0o644))
		}, nil, exitFailed},
		{"diff", upstream, func(t *testing.T, d *confd) {
			d.classic(t, "")
			must(t, os.WriteFile(filepath.Join(d.out, "apache.conf"), []byte("upstream apache_pool {\n\n    server 10.0.0.1:8080;\n\n}\n"), 0o644))
		}, []string{"--diff"}, 0},
		{"diff same", "{}", func(t *testing.T, d *confd) {
			d.resource(t, "s", "src = \"s.tmpl\"\ndest = \""+filepath.Join(d.out, "s")+"\"\nkeys = [\"/s\"]\nallow_empty = true\n")
			must(t, os.WriteFile(filepath.Join(d.dir, "templates", "s.tmpl"), []byte("static\n"), 0o644))
			must(t, os.WriteFile(filepath.Join(d.out, "s"), []byte("static\n"), 0o644))
		}, []string{"--diff"}, 0},
		{"empty directory refused", "{}", func(t *testing.T, d *confd) { d.classic(t, "") }, nil, exitFailed},
		{"output_format", `{"/services/apache/a": "x"}`, func(t *testing.T, d *confd) {
			d.classic(t, "output_format = \"json\"\n")
		}, nil, exitFailed},
		{"dest directory missing is a warning", upstream, func(t *testing.T, d *confd) {
			d.template(t, "nginx.tmpl")
			d.resource(t, "nginx", "src = \"nginx.tmpl\"\ndest = \"/nonexistent/dir/x\"\nkeys = [\"/services/apache\"]\n")
		}, nil, 0},
		{"bad mock file", `{"/a": null}`, func(t *testing.T, d *confd) { d.classic(t, "") }, nil, exitUsage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newConfd(t)
			tc.setup(t, d)
			mock := filepath.Join(d.dir, "mock.data")
			must(t, os.WriteFile(mock, []byte(tc.mock), 0o644))
			args := append([]string{"check", "--mock-data", mock}, tc.args...)
			code, out, errs := cw(t, d.args("http://127.0.0.1:1", args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errs)
			}
			got := strings.ReplaceAll(out+errs, d.dir, "$CONFDIR")
			golden(t, "mock-"+strings.ReplaceAll(tc.name, " ", "-")+".golden", got)
		})
	}
}
