package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestKillDuringReloadUnderSystemd: every process of the agent's unit is
// killed with SIGKILL while its reload of a checked file runs (the file in
// place names b2, nginx still serves b1). systemd restarts the agent
// (Restart=on-failure). The restart must not put back the file before (b1)
// and must reload the one in place: nginx serves b2, the journal says the
// earlier apply was finished, nothing was restored, and nothing is left
// beside the file. Before, the restart put b1 back, then applied b2 again.
func TestKillDuringReloadUnderSystemd(t *testing.T) {
	x, etcd, lb, b1, b2 := blockedReloadBox(t)
	const agent, conf = "confwatch.service", "/etc/nginx/nginx.conf"
	holdReloadOfB2(t, x, etcd, b2)
	pid := x.prop(agent, "MainPID")
	x.ctl("kill", "--signal=SIGKILL", agent)
	x.run("rm", "-f", "/run/block")
	if c := x.read(conf); !strings.Contains(c, "server "+b2+";") {
		t.Fatalf("at the kill the file does not name b2 (checked, swapped in):\n%s", c)
	}
	waitFor(t, 30*time.Second, agent+" restarted and active", func() (bool, string) {
		p, st := x.prop(agent, "MainPID"), x.prop(agent, "ActiveState")
		return p != pid && p != "0" && st == "active", "pid " + p + ", " + st
	})
	waitBody(t, lb, "b2", 20*time.Second)
	j := x.Journal(agent)
	for _, want := range []string{"an apply stopped before its reload was confirmed", "finished the earlier apply"} {
		if !strings.Contains(j, want) {
			t.Errorf("the journal lacks %q:\n%s", want, grepLines(j, "apply"))
		}
	}
	if strings.Contains(j, "restored the previous file") {
		t.Errorf("the restart put the file before back:\n%s", grepLines(j, "restored"))
	}
	if c := x.read(conf); strings.Contains(c, "server "+b1+";") {
		t.Errorf("nginx.conf names b1 again:\n%s", c)
	}
	if s := x.strays("/etc/nginx"); len(s) > 0 {
		t.Errorf("left beside the file: %v", s)
	}
}
