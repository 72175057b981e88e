package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestLoadMockData(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       string // sorted k=v; (empty when err)
		err        string
	}{
		{"json", `{"/a/b": "1", "/a/c": "x y", "/n": 8080}`, "/a/b=1 /a/c=x y /n=8080", ""},
		{"json number kept as written", `{"/f": 1.50, "/big": 12345678901234567890}`, "/big=12345678901234567890 /f=1.50", ""},
		{"yaml", "/a/b: 1\n/a/c: \"x y\"\n/t: true\n", "/a/b=1 /a/c=x y /t=true", ""},
		{"yaml nested", "services:\n  web:\n    10.0.0.1:80: 10.0.0.1:80\n/x: \"\"\n", "/services/web/10.0.0.1:80=10.0.0.1:80 /x=", ""},
		{"README example", "/services/apache/10.0.0.1:8080: 10.0.0.1:8080\nservices:\n  db:\n    port: 5432\n",
			"/services/apache/10.0.0.1:8080=10.0.0.1:8080 /services/db/port=5432", ""},
		{"json value holding json", `{"/j": "{\"a\": [1]}"}`, `/j={"a": [1]}`, ""},
		{"empty", "", "", ""},
		{"null", `{"/a": null}`, "", "/a: value is null"},
		{"list", "/a: [1, 2]\n", "", "/a: value is a list"},
		{"scalar", "just text\n", "", "want a mapping"},
		{"broken yaml", "a: [\n", "", "mock data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "mock")
			must(t, os.WriteFile(p, []byte(tc.text), 0o644))
			m, err := loadMockData(p)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			must(t, err)
			var got []string
			for k, v := range m {
				got = append(got, k+"="+v)
			}
			sort.Strings(got)
			if strings.Join(got, " ") != tc.want {
				t.Errorf("got %q, want %q", strings.Join(got, " "), tc.want)
			}
		})
	}
}

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
