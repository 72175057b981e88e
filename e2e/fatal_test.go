package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/internal/sdbox"
)

// TestBrokenResourceFailsTheUnit (issue 14, item 4): a resource confwatch cannot
// load makes `confwatch run` exit 2; under the shipped unit that fails the unit
// (RestartPreventExitStatus=2) instead of restarting it every 2 s, and the reason
// is in `journalctl -p warning`, as the README tells the operator to look.
func TestBrokenResourceFailsTheUnit(t *testing.T) {
	prerequisites(t, "../contrib/systemd/confwatch.service")
	confwatch, _ := binaries(t)
	shipped, err := os.ReadFile("../contrib/systemd/confwatch.service")
	if err != nil {
		t.Fatal(err)
	}
	dropIn := fmt.Sprintf("[Service]\nExecStart=\nExecStart=/usr/local/bin/confwatch run --confdir %s --endpoints http://127.0.0.1:1\n", agentConfDir)
	x := startBox(t, []string{"confwatch.service"},
		sdbox.UnitFile{Name: "confwatch.service", Content: string(shipped)},
		sdbox.UnitFile{Name: "confwatch.service.d/e2e.conf", Content: dropIn},
	)
	x.install(confwatch, "/usr/local/bin/confwatch", 0o755)
	x.write(agentConfDir+"/conf.d/broken.toml", []byte("[template]\nsrc = \"web.tmpl\"\ndest = \"/etc/nginx/web.conf\"\nkeys = [\"/web\"]\nreload_unti = \"nginx.service\"\n"), 0o644)
	x.write(agentConfDir+"/templates/web.tmpl", []byte("x\n"), 0o644)

	x.ctl("start", "--no-block", "confwatch.service")
	waitFor(t, 30*time.Second, "confwatch.service failed", func() (bool, string) {
		st, sub := x.prop("confwatch.service", "ActiveState"), x.prop("confwatch.service", "SubState")
		return st == "failed", st + "/" + sub
	})
	if n := x.prop("confwatch.service", "NRestarts"); n != "0" {
		t.Errorf("NRestarts=%s: exit 2 was restarted", n)
	}
	if got := x.prop("confwatch.service", "ExecMainStatus"); got != "2" {
		t.Errorf("ExecMainStatus=%s, want 2", got)
	}
	warn := x.run("journalctl", "--no-pager", "-q", "-u", "confwatch.service", "-p", "warning")
	if !strings.Contains(warn, "broken.toml") || !strings.Contains(warn, "reload_unti") {
		t.Errorf("journalctl -p warning does not say why confwatch did not start:\n%s\nwhole journal:\n%s",
			warn, x.Journal("confwatch.service"))
	}
	t.Logf("journalctl -u confwatch -p warning:\n%s", warn)
}
