package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// confd is a confd tree in a temporary directory.
type confd struct {
	dir, out, state string
}

func newConfd(t *testing.T) *confd {
	t.Helper()
	d := &confd{dir: t.TempDir()}
	d.out = filepath.Join(d.dir, "out")
	d.state = filepath.Join(d.dir, "state")
	for _, s := range []string{"conf.d", "templates", "out"} {
		must(t, os.MkdirAll(filepath.Join(d.dir, s), 0o755))
	}
	must(t, os.WriteFile(filepath.Join(d.dir, "confwatch.toml"), nil, 0o644))
	return d
}

// resource writes conf.d/NAME.toml with the [template] body given.
func (d *confd) resource(t *testing.T, name, body string) {
	t.Helper()
	must(t, os.WriteFile(filepath.Join(d.dir, "conf.d", name+".toml"), []byte("[template]\n"+body), 0o644))
}

// template copies testdata/SRC into templates/.
func (d *confd) template(t *testing.T, src string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", src))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(d.dir, "templates", src), b, 0o644))
}

// classic sets up the classic nginx resource, as the tutorial wrote it.
func (d *confd) classic(t *testing.T, extra string) string {
	dest := filepath.Join(d.out, "apache.conf")
	d.template(t, "nginx.tmpl")
	d.resource(t, "nginx", fmt.Sprintf(`src = "nginx.tmpl"
dest = %q
keys = [ "/services/apache" ]
owner = "root"
mode = "0644"
%s`, dest, extra))
	return dest
}

// cw runs confwatch in-process and returns exit code, stdout and stderr.
func cw(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"confwatch"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func (d *confd) args(endpoint string, more ...string) []string {
	a := []string{"--confdir", d.dir, "--state-dir", d.state, "--config", filepath.Join(d.dir, "confwatch.toml")}
	if endpoint != "" {
		a = append(a, "--endpoints", endpoint, "--dial-timeout", "3s")
	}
	return append(a, more...)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		must(t, os.WriteFile(p, []byte(got), 0o644))
	}
	want, err := os.ReadFile(p)
	must(t, err)
	if got != string(want) {
		t.Errorf("%s differs (run with -update to accept):\n got: %q\nwant: %q", name, got, want)
	}
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		return "<missing>"
	}
	return string(b)
}

func contains(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s lacks %q:\n%s", what, sub, s)
		}
	}
}
