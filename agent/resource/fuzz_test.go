package resource

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad loads arbitrary bytes as a template resource file: never a
// panic, every problem names the file, and a resource that loads without
// errors holds what the rest of the agent relies on.
func FuzzLoad(f *testing.F) {
	for _, s := range []string{
		"[template]\nsrc = \"t\"\ndest = \"/tmp/a\"\nkeys = [\"/a\"]\n",
		"\ufeff[template]\nsrc = \"t.tmpl\"\ndest = \"/etc/nginx/conf.d/x.conf\"\nkeys = [\"/services/x\", \"lb\"]\nprefix = \"prod/\"\nmode = \"0640\"\nuid = 0\ngid = 4294967294\ncheck_cmd = \"nginx -t -c {{.src}}\"\nreload_cmd = \"kill -HUP 1\"\nmax_shrink = \"25%\"\nwait = \"1s:5s\"\nmax_output = \"1MiB\"\noutput_format = \"json\"\n",
		"[template]\ndest = \"/a/\"\nkeys = [\"\"]\nmode = \"04755\"\nuid = 4294967296\ncheck_cmd_timeout = \"-1s\"\nreload_mode = \"x\"\nmin_reload_interval = \"-1s\"\n",
		"[template]\nsrc=1\n", "[template.backend]\nx=1\n[template]\ndebounce=\"1s\"\nsrc=\"t\"\ndest=\"/a\"\nkeys=[\"/\"]\n",
		"[[template]]\n", "", "\xef\xbb\xbf", "[template]\nkeys = [\"/a\"\n",
		"[template]\nsrc = \"t\"\ndest = \"/tmp/x/../a\"\nkeys = [\"/a\"]\ncheck_cmd = \"{{.src\"\nreload_cmd = \"{{.x}}\"\nowner = \"nobody\"\ngroup = \"nogroup\"\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	file := filepath.Join(dir, "conf.d", "r.toml")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r, probs := Load(file, Options{ConfDir: dir})
		for _, p := range probs {
			if p.File != file || p.Line < 0 || p.Col < 0 || p.Msg == "" {
				t.Fatalf("problem %#v", p)
			}
		}
		if r == nil {
			if len(probs.Errors()) == 0 {
				t.Fatal("no resource and no error")
			}
			return
		}
		checkLoaded(t, r)
	})
}

// checkLoaded: what a resource without errors guarantees.
func checkLoaded(t *testing.T, r *Resource) {
	t.Helper()
	switch {
	case !filepath.IsAbs(r.Dest) || filepath.Clean(r.Dest) != r.Dest || r.Dest == "/":
		t.Fatalf("dest %q", r.Dest)
	case r.Src == "" || r.SrcPath == "":
		t.Fatalf("src %q", r.Src)
	case len(r.Dirs) == 0 || len(r.Dirs) != len(r.Keys):
		t.Fatalf("dirs %q of keys %q", r.Dirs, r.Keys)
	case r.FileMode&^0o777 != 0 || r.FileMode == 0 && r.Mode != "":
		t.Fatalf("mode %q gave %o", r.Mode, r.FileMode)
	case r.UID < -1 || r.UID > maxID || r.GID < -1 || r.GID > maxID:
		t.Fatalf("owner %d:%d", r.UID, r.GID)
	case r.CheckTimeout.Duration <= 0 || r.ReloadTimeout.Duration <= 0 || r.MinInterval < 0:
		t.Fatalf("timeouts %v %v %v", r.CheckTimeout, r.ReloadTimeout, r.MinInterval)
	case r.Shrink < 0 || r.Shrink > 1 || r.OutputLimit <= 0 || r.WaitMin < 0 || r.WaitMax < r.WaitMin:
		t.Fatalf("guards %v %v %v %v", r.Shrink, r.OutputLimit, r.WaitMin, r.WaitMax)
	}
	for _, d := range r.Dirs {
		if !strings.HasPrefix(d, "/") {
			t.Fatalf("dir %q", d)
		}
	}
	_ = r.Group()
	_ = r.InPlaceCheck()
}
