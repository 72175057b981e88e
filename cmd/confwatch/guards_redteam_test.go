package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestRenderEqualToDestIsNeverRefused: README, guards: "A render equal to
// the file already in place is never refused." Each guard (empty directory,
// blank render, shrink) is tripped while dest already holds exactly what the
// render produces: render must say unchanged and exit 0, not refuse.
func TestRenderEqualToDestIsNeverRefused(t *testing.T) {
	tests := []struct {
		name     string
		tmpl     string
		keys     int // keys under /svc at the first, baseline render (0: none)
		keep     int // keys left for the second render
		wantDest string
	}{
		{"empty directory", `{{ range gets "/svc/*" }}{{ .Value }}` + "\n" + `{{ end }}end` + "\n", 0, 0, "end\n"},
		{"blank render of keys", `{{ range gets "/svc/nomatch*" }}{{ .Value }}{{ end }}`, 2, 2, ""},
		{"shrink past max_shrink", `{{ range gets "/svc/*" }}{{ .Value }}` + "\n" + `{{ end }}`, 10, 2, "v0\nv1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := testetcd.Start(t)
			d := newConfd(t)
			dest := filepath.Join(d.out, "svc.conf")
			must(t, os.WriteFile(filepath.Join(d.dir, "templates", "svc.tmpl"), []byte(tt.tmpl), 0o644))
			d.resource(t, "svc", fmt.Sprintf("src = \"svc.tmpl\"\ndest = %q\nkeys = [\"/svc\"]\n", dest))
			for i := 0; i < tt.keys; i++ {
				srv.Put(t, fmt.Sprintf("/svc/k%d", i), fmt.Sprintf("v%d", i))
			}
			if tt.keep < tt.keys {
				// A baseline of tt.keys applied, then all but tt.keep deleted.
				if code, out, errs := cw(t, d.args(srv.Endpoint, "render")...); code != 0 {
					t.Fatalf("baseline render: exit %d\n%s%s", code, out, errs)
				}
				for i := tt.keep; i < tt.keys; i++ {
					srv.Delete(t, fmt.Sprintf("/svc/k%d", i))
				}
			}
			// An operator's hand edit to exactly the bytes the render gives.
			must(t, os.WriteFile(dest, []byte(tt.wantDest), 0o644))
			code, out, errs := cw(t, d.args(srv.Endpoint, "render")...)
			if code != 0 {
				t.Fatalf("render equal to dest: exit %d, want 0 (never refused)\n%s%s", code, out, errs)
			}
			contains(t, "render output", out, "unchanged")
			if got := read(t, dest); got != tt.wantDest {
				t.Fatalf("dest = %q, want %q", got, tt.wantDest)
			}
		})
	}
}
