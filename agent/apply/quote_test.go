package apply

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExpandQuotesPaths(t *testing.T) {
	for _, tc := range []struct{ cmd, src, dest, want string }{
		{"nginx -t -c {{.src}}", "/etc/nginx/a.conf", "/d", "nginx -t -c /etc/nginx/a.conf"},
		{"cat {{.src}}", "/tmp/a b.conf", "/d", "cat '/tmp/a b.conf'"},
		{"cat {{.dest}}", "", "/tmp/$(touch x).conf", "cat '/tmp/$(touch x).conf'"},
		{"cat {{.dest}}", "", "/tmp/it's", `cat '/tmp/it'\''s'`},
		{"cat {{.dest}}", "", "", "cat ''"},
	} {
		got, err := Expand(tc.cmd, tc.src, tc.dest)
		if err != nil || got != tc.want {
			t.Errorf("Expand(%q, %q, %q) = %q, %v; want %q", tc.cmd, tc.src, tc.dest, got, err, tc.want)
		}
	}
}

// A dest with a space, a quote or $(...) reaches the command as one word and
// is never run.
func TestHostilePathsAreOneShellWord(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir) // the commands below would create ./ran
	marker := filepath.Join(dir, "ran")
	for _, name := range []string{"a b.conf", "it's.conf", "$(touch ran).conf", "`touch ran`.conf", "x;touch ran", "a\nb"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("ok\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd, err := Expand(`test -f {{.dest}} && cat {{.src}}`, p, p)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Shell{}.Run(context.Background(), cmd, 10*time.Second)
		if err != nil || strings.TrimSpace(string(out)) != "ok" {
			t.Errorf("%q: %s: %v", name, out, err)
		}
		if _, err := os.Stat(marker); err == nil {
			t.Fatalf("%q: the path was run as a command", name)
		}
	}
}

func TestCommandsGetNoCredentials(t *testing.T) {
	t.Setenv("CONFWATCH_PASSWORD", "hunter2")
	t.Setenv("CONFWATCH_ENDPOINTS", "http://u:p@x:2379")
	t.Setenv("CONFD_PASSWORD", "hunter2")
	t.Setenv("ETCDCTL_PASSWORD", "hunter2")
	t.Setenv("ETCDCTL_USER", "root:hunter2")
	t.Setenv("ETCD_PASSWORD", "hunter2")
	t.Setenv("KEEP_ME", "yes")
	out, err := Shell{}.Run(context.Background(), "env", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "hunter2") || strings.Contains(string(out), "u:p@") {
		t.Fatalf("a credential reached the command:\n%s", out)
	}
	if !strings.Contains(string(out), "KEEP_ME=yes") || !strings.Contains(string(out), "PATH=") {
		t.Fatalf("the ordinary environment was dropped:\n%s", out)
	}
}
