package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestOutputFormat renders a resource with output_format from etcd, then
// makes etcd hold a value that breaks the document: the render is refused
// before its check runs, the last good file stays, and the error names the
// resource and the parser's line.
func TestOutputFormat(t *testing.T) {
	srv := testetcd.Start(t)
	for _, tc := range []struct {
		format, tmpl, good, bad, line string
	}{
		{"json", "{\n  \"name\": {{getv \"/f/name\"}},\n  \"port\": 80\n}\n", `"web"`, `web`, "line 2"},
		{"yaml", "port: 80\nname: {{getv \"/f/name\"}}\n", `web`, `[unclosed`, "line 2"},
		{"toml", "port = 80\nname = {{getv \"/f/name\"}}\n", `"web"`, `web`, "line 2"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			d := newConfd(t)
			dest := filepath.Join(d.out, "app."+tc.format)
			marker := filepath.Join(d.dir, "checks")
			must(t, os.WriteFile(filepath.Join(d.dir, "templates", "app.tmpl"), []byte(tc.tmpl), 0o644))
			d.resource(t, "app", `src = "app.tmpl"
dest = "`+dest+`"
keys = ["/f"]
output_format = "`+tc.format+`"
check_cmd = "test -s {{.src}} && echo ran >> `+marker+`"
`)
			srv.Put(t, "/f/name", tc.good)
			if code, out, errs := cw(t, d.args(srv.Endpoint, "render")...); code != 0 {
				t.Fatalf("good render: exit %d\n%s%s", code, out, errs)
			}
			good := read(t, dest)
			srv.Put(t, "/f/name", tc.bad)
			code, out, errs := cw(t, d.args(srv.Endpoint, "render")...)
			if code != exitFailed {
				t.Fatalf("bad render: exit %d, want %d\n%s%s", code, exitFailed, out, errs)
			}
			contains(t, "output", out, "failed", "render app: ", "not valid "+tc.format, tc.line)
			if got := read(t, dest); got != good {
				t.Errorf("dest changed to %q", got)
			}
			if n := strings.Count(read(t, marker), "ran"); n != 1 {
				t.Errorf("check ran %d times, want once (for the good render only)", n)
			}
		})
	}
}
