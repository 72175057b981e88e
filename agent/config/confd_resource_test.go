package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadConfdTemplateResource: a template resource passed as -config-file
// (the seed's `confd -onetime -config-file /etc/confd/conf.d/nginx.toml`)
// draws one warning saying what it is, not one per key, and changes nothing.
func TestLoadConfdTemplateResource(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		warnings   []string
	}{
		{"resource", `[template]
src = "nginx.tmpl"
dest = "/etc/nginx/sites-enabled/app.conf"
keys = ["/services/apache"]
owner = "root"
mode = "0644"
check_cmd = "/usr/sbin/nginx -t -c {{.src}}"
reload_cmd = "/usr/sbin/service nginx reload"
prefix = "/x"
`, []string{"nginx.toml:1:1: warning: this is a template resource ([template]), not a confd.toml: -config-file ignores it"}},
		{"resource after confd keys", "nodes = [\"http://10.0.0.1:2379\"]\nbogus = 1\n\n[template]\nsrc = \"a\"\ndest = \"/b\"\n",
			[]string{`nginx.toml:2:1: warning: unknown confd key "bogus"`, "nginx.toml:4:1: warning: this is a template resource"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "nginx.toml")
			if err := os.WriteFile(p, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			c := Default()
			res, err := LoadConfd(p, &c)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Warnings) != len(tc.warnings) {
				t.Fatalf("%d warnings, want %d: %v", len(res.Warnings), len(tc.warnings), res.Warnings)
			}
			for i, w := range tc.warnings {
				if !strings.Contains(res.Warnings[i].Error(), w) {
					t.Errorf("warning %d = %q, want %q", i, res.Warnings[i].Error(), w)
				}
			}
			if c.Etcd.Prefix != "" {
				t.Errorf("the resource's prefix became the global prefix: %q", c.Etcd.Prefix)
			}
		})
	}
}
