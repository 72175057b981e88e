package e2e

import (
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/unit"

	"github.com/confwatch/confwatch/internal/sdbox"
	"github.com/confwatch/confwatch/units"
)

// fleetUnitsDir is where fleet's agent writes the units it runs
// (systemd/manager.go DefaultUnitsDirectory).
const fleetUnitsDir = "/run/fleet/units/"

// fleetMachine is one machine of the emulated fleet cluster: a box and the
// units fleet placed on it.
type fleetMachine struct {
	*box
	name  string
	units []string
}

// fleetCluster stands in for fleet (which cannot be installed here: its
// module is not served) with the parts of `fleetctl start` that decide what
// runs where and how systemd gets it:
//
//   - fleetctl: an instance of a template is given the template's content;
//     the unit must pass fleet's submit-time rules (units.Lint, whose parity
//     with fleet's source is units/fleet_parity_test.go);
//   - the engine: a unit goes to the least loaded machine it may run on: its
//     MachineOf peers there, no Conflicts glob of it or of a unit already
//     there matching the other (agent state AbleToRun, units.FleetConflict);
//   - the agent (systemd/manager.go): fleet's normalised form of the unit
//     written to /run/fleet/units/NAME, LinkUnitFiles(runtime, force), daemon
//     reload, StartUnit(NAME, "replace"); `fleetctl stop` is StopUnit.
type fleetCluster struct {
	t        *testing.T
	machines []*fleetMachine
	files    map[string]string // unit file name -> content, as generated
	placed   map[string]*fleetMachine
	reqs     map[string]units.FleetReqs
}

// content is what fleetctl submits for name: its own file, or for an
// instance without one the template's.
func (c *fleetCluster) content(name string) string {
	c.t.Helper()
	if data, ok := c.files[name]; ok {
		return data
	}
	if at := strings.Index(name, "@"); at >= 0 {
		if data, ok := c.files[name[:at+1]+path.Ext(name)]; ok {
			return data
		}
	}
	c.t.Fatalf("fleetctl: no unit file for %s", name)
	return ""
}

// schedule returns the machine the engine would place name on, or an error
// saying why none fits.
func (c *fleetCluster) schedule(name string, reqs units.FleetReqs) (*fleetMachine, error) {
	var best *fleetMachine
	for _, m := range c.machines {
		if c.ableToRun(m, name, reqs) && (best == nil || len(m.units) < len(best.units)) {
			best = m
		}
	}
	if best == nil {
		return nil, fmt.Errorf("no machine can run %s (requirements %v)", name, reqs)
	}
	return best, nil
}

// ableToRun is fleet's check of one machine for a unit.
func (c *fleetCluster) ableToRun(m *fleetMachine, name string, reqs units.FleetReqs) bool {
	for _, peer := range reqs["MachineOf"] {
		if c.placed[peer] != m {
			return false
		}
	}
	for _, other := range m.units {
		if units.FleetConflict(name, reqs, other, c.reqs[other]) {
			return false
		}
	}
	return true
}

// start is `fleetctl start name...` on this cluster; it returns where each
// unit went.
func (c *fleetCluster) start(names ...string) map[string]string {
	c.t.Helper()
	where := map[string]string{}
	for _, name := range names {
		data := c.content(name)
		if fs := units.Lint(name, []byte(data)); len(fs) > 0 {
			c.t.Fatalf("fleetctl would refuse %s: %v", name, fs)
		}
		m := c.placed[name]
		if m == nil {
			reqs, err := units.FleetRequirements(name, []byte(data))
			if err != nil {
				c.t.Fatal(err)
			}
			if m, err = c.schedule(name, reqs); err != nil {
				c.t.Fatal(err)
			}
			c.placed[name], c.reqs[name] = m, reqs
			m.units = append(m.units, name)
			m.load(name, fleetNormalize(c.t, data))
		}
		m.ctl("start", name)
		where[name] = m.name
	}
	return where
}

// stop is `fleetctl stop name`: the unit stays loaded on its machine.
func (c *fleetCluster) stop(name string) {
	c.t.Helper()
	c.placed[name].ctl("stop", name)
}

// load is fleet's agent loading a unit on m.
func (m *fleetMachine) load(name, content string) {
	m.t.Helper()
	p := fleetUnitsDir + name
	m.write(p, []byte(content), 0o644)
	m.ctl("link", "--runtime", "--force", p)
	m.ctl("daemon-reload")
}

// fleetNormalize is the form fleet stores and hands to systemd (unit.UnitFile
// String: options re-serialised in order, comments and layout dropped).
func fleetNormalize(t *testing.T, data string) string {
	t.Helper()
	opts, err := unit.DeserializeOptions(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(unit.Serialize(opts))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestFleetFlavor runs the fleet flavour of the generated units on three
// machines the way fleet would (see fleetCluster): the classic placement
// (one backend per machine, each sidekick beside its backend, the load
// balancer away from the backends) and the loop on top of it (issue 5:
// register and deregister as units start and stop; nginx on the third
// machine serving both backends).
func TestFleetFlavor(t *testing.T) {
	prerequisites(t, "/usr/sbin/nginx", "/lib/systemd/system/nginx.service", "/usr/bin/etcd", "/lib/systemd/system/etcd.service")
	confwatch, backend := binaries(t)
	ports := freePorts(t, 5)
	etcdPort, peerPort, lbPort, p1, p2 := ports[0], ports[1], ports[2], strconv.Itoa(ports[3]), strconv.Itoa(ports[4])
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", etcdPort)
	lb := fmt.Sprintf("http://127.0.0.1:%d/", lbPort)

	files, confd := generateUnits(t, confwatch,
		"--flavor", "fleet", "--runtime", "exec",
		"--backend-exec", fmt.Sprintf("/usr/local/bin/e2e-backend -listen {ip}:{port} -drain 1s -etcd %s -key %s{ip}:{port} -report /run/e2e-backend-{port}.stop",
			endpoint, lbKeyDir),
		"--advertise-ip", "127.0.0.1", "--endpoints", endpoint, "--lb-port", strconv.Itoa(lbPort),
		"--etcd-unit", "", // etcd is not on every machine
		"--ttl", "5s", "--interval", "500ms")
	c := &fleetCluster{t: t, files: map[string]string{}, placed: map[string]*fleetMachine{}, reqs: map[string]units.FleetReqs{}}
	for _, f := range files {
		c.files[f.Name] = f.Content
	}
	b1, b2 := "apache@"+p1+".service", "apache@"+p2+".service"
	s1, s2 := "apache-discovery@"+p1+".service", "apache-discovery@"+p2+".service"
	for i := 1; i <= 3; i++ {
		var etcdUnit []sdbox.UnitFile
		if i == 1 { // the cluster's etcd, outside fleet (fleet itself needs it)
			etcdUnit = append(etcdUnit, sdbox.UnitFile{Name: "etcd.service.d/e2e.conf", Content: etcdDropIn(etcdPort, peerPort)})
		}
		x := startBox(t, []string{lbUnit, "nginx.service", b1, s1, b2, s2}, etcdUnit...)
		if i == 1 {
			x.ctl("start", "etcd.service")
		}
		x.install(confwatch, "/usr/local/bin/confwatch", 0o755)
		x.install(backend, "/usr/local/bin/e2e-backend", 0o755)
		for p, data := range confd {
			x.write(p, []byte(data), 0o644)
		}
		x.run("rm", "-f", "/etc/nginx/sites-enabled/default")
		c.machines = append(c.machines, &fleetMachine{box: x, name: "m" + strconv.Itoa(i)})
	}
	inConfig := func(port string) bool { return strings.Contains(c.placed[lbUnit].read(lbDest), "127.0.0.1:"+port+";") }
	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, f) {
			t.FailNow()
		}
	}

	step("0_fleetctl_start_places_units_like_the_classic_setup", func(t *testing.T) {
		where := c.start(b1, s1, b2, s2, lbUnit)
		t.Logf("placement: %v", where)
		if where[s1] != where[b1] || where[s2] != where[b2] {
			t.Errorf("a sidekick is not beside its backend: %v", where)
		}
		if where[b1] == where[b2] || where[lbUnit] == where[b1] || where[lbUnit] == where[b2] {
			t.Errorf("backends share a machine or the load balancer shares one with a backend: %v", where)
		}
		if _, err := c.schedule("apache@9.service", c.reqs[b1]); err == nil {
			t.Errorf("a third backend found a machine; every machine has a backend or the load balancer")
		}
		m := c.placed[lbUnit]
		if err := m.WaitActive(lbUnit, 20*time.Second); err != nil {
			t.Fatal(err)
		}
		if err := m.WaitActive("nginx.service", 20*time.Second); err != nil {
			t.Fatal(err)
		}
		if got := m.prop(lbUnit, "UnitFileState"); got != "linked-runtime" {
			t.Errorf("%s is %q, want linked-runtime (from %s, as fleet's agent links it)", lbUnit, got, fleetUnitsDir)
		}
		for _, u := range []string{s1, s2} {
			if err := c.placed[u].WaitActive(u, 20*time.Second); err != nil {
				t.Fatal(err)
			}
		}
	})

	step("1_nginx_serves_both_backends", func(t *testing.T) {
		for _, p := range []string{p1, p2} {
			waitBody(t, lb, p, 15*time.Second)
		}
		t.Logf("status: %s", c.placed[lbUnit].prop(lbUnit, "StatusText"))
	})

	step("2_fleetctl_stop_deregisters_before_the_backend_stops", func(t *testing.T) {
		began := time.Now()
		c.stop(b1)
		if s := c.placed[s1].prop(s1, "ActiveState"); s != "inactive" {
			t.Errorf("%s is %s after its backend stopped", s1, s)
		}
		report := c.placed[b1].read("/run/e2e-backend-" + p1 + ".stop")
		if !strings.Contains(report, "key-present=false") || !strings.Contains(report, "err=<nil>") {
			t.Errorf("the backend got SIGTERM while its key was still registered:\n%s", report)
		}
		took := waitFor(t, 5*time.Second, p1+" out of the rendered config", func() (bool, string) {
			return !inConfig(p1), c.placed[lbUnit].prop(lbUnit, "StatusText")
		})
		t.Logf("%s out of the config %v after `fleetctl stop` returned (%v in all)", p1, took.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
		waitBody(t, lb, p2, 5*time.Second)
	})

	step("3_fleetctl_start_again_registers_it", func(t *testing.T) {
		c.start(b1)
		took := waitBody(t, lb, p1, 15*time.Second)
		t.Logf("%s answering through nginx %v after `fleetctl start`", p1, took.Round(time.Millisecond))
		if !inConfig(p2) {
			t.Errorf("%s left the config", p2)
		}
	})
}
