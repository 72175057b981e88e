package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCluster runs issue 16's lab (see cluster_test.go): a load through both load
// balancers all along, and the fault cases one after another, each starting from a
// converged lab and leaving one. Case 1 (the drain barrier) runs last, on the lab the
// others leave. The steps stop at the first failure. With CLUSTER_FIGURES=FILE it
// writes its figures into FILE's section "The lab's figures" (make cluster-bench).
func TestCluster(t *testing.T) {
	f := &clusterFigures{began: time.Now(), dereg: map[string][]time.Duration{}}
	c := newCluster(t)
	f.labUp = time.Since(f.began)
	t.Logf("lab up in %v (drain barrier in this confwatch: %t)", f.labUp.Round(time.Millisecond), c.barrier)
	for _, lb := range c.lbHosts {
		f.lbs = append(f.lbs, lb.name)
	}
	f.load = loadLimits{workers: 4, pause: 5 * time.Millisecond, requests: 200000, duration: 4 * time.Minute}
	l := startLabLoad(t, c.client, c.lbURLs(), f.load)
	// The figures are logged, and written when every case ran, also when one failed
	// an assertion (a failed step ends the test through this).
	defer func() {
		l.stop()
		t.Logf("figures:\n%s", f.markdown(c.drainModes()))
		if path := os.Getenv("CLUSTER_FIGURES"); path != "" && f.complete {
			if err := writeFigures(path, f.markdown(c.drainModes())); err != nil {
				t.Error(err)
			}
			t.Logf("figures written into %s", path)
		}
	}()
	all := c.backendAddrs(c.etcdHosts...)
	lbA, lbB := c.lbHosts[0], c.lbHosts[1]
	step := func(name string, fn func(t *testing.T)) {
		if !t.Run(name, fn) {
			t.FailNow()
		}
	}
	// noFailures fails t for every failed request through lbs sent since from.
	noFailures := func(t *testing.T, from time.Time, lbs ...*labHost) {
		t.Helper()
		to := time.Now()
		l.settle(to)
		for _, lb := range lbs {
			hits := l.between(lb.name, from, to)
			if fs := failures(hits, from); len(fs) > 0 {
				t.Errorf("%d of %d requests through %s failed: %q", len(fs), len(hits), lb.name, fs[:min(len(fs), 8)])
			}
		}
	}

	step("0_both_lbs_serve_every_backend", func(t *testing.T) {
		// servedAll waits until every backend answered through both LBs since from.
		servedAll := func(from time.Time, what string) {
			waitFor(t, 20*time.Second, what, func() (bool, string) {
				ok, detail := true, ""
				for _, lb := range c.lbHosts {
					by, _, _ := summary(l.between(lb.name, from, time.Now()))
					for _, h := range c.etcdHosts {
						ok = ok && by[h.port] > 0
					}
					detail += lb.name + " " + strings.Join(keys(by), ",") + "; "
				}
				return ok, detail
			})
		}
		// The LBs may still be taking in the last registrations when the lab is up
		// (a 503 from an empty upstream): the steady state begins once both serve
		// every backend.
		servedAll(time.Now(), "answers from every backend through both LBs")
		from := time.Now()
		servedAll(from, "every backend again through both LBs, in the steady state")
		noFailures(t, from, lbA, lbB)
		f.window(l, "0: steady state", from, time.Now(), "")
	})

	step("2_lb_agent_kill9_nginx_keeps_serving", func(t *testing.T) {
		from := time.Now()
		agent, nginx := lbA.box.prop(lbUnit, "MainPID"), lbA.box.prop("nginx.service", "MainPID")
		lbA.box.run("kill", "-9", agent)
		took := waitFor(t, 30*time.Second, "systemd restarted lb-a's agent and it is ready", func() (bool, string) {
			pid, state := lbA.box.prop(lbUnit, "MainPID"), lbA.box.prop(lbUnit, "ActiveState")
			return pid != agent && pid != "0" && state == "active", state + " pid " + pid
		})
		c.waitConverged(10*time.Second, all...)
		if now := lbA.box.prop("nginx.service", "MainPID"); now != nginx {
			t.Errorf("nginx was restarted with its agent (pid %s -> %s)", nginx, now)
		}
		noFailures(t, from, lbA, lbB)
		f.window(l, "2: kill -9 of lb-a's agent", from, time.Now(), "agent back (ready) after "+took.Round(10*time.Millisecond).String())
	})

	step("3_lb_cut_off_from_etcd", func(t *testing.T) {
		h1 := c.etcdHosts[0]
		extra := strconv.Itoa(clBasePort + 3)
		extraAddr := h1.net.Addr(svcNet) + ":" + extra
		from := time.Now()
		c.cut(lbA, false)
		waitFor(t, 40*time.Second, "lb-a's agent says etcd is unreachable", func() (bool, string) {
			s := lbA.box.prop(lbUnit, "StatusText")
			return strings.Contains(s, "unreachable"), s
		})
		h1.box.ctl("start", "apache@"+extra+".service")
		waitFor(t, 20*time.Second, "lb-b routes to the backend started during the cut", func() (bool, string) {
			return c.inConfig(lbB, extraAddr), strings.Join(c.servers(lbB), " ")
		})
		note := ""
		if c.barrier {
			// The barrier waits for lb-a, whose announcement cannot move, until its
			// lease expires; lb-a never routed to this backend.
			d, statuses := c.stopBackend(t, h1, extra)
			t.Logf("the sidekick's STATUS while it stopped: %q", statuses)
			note = "barrier released without lb-a after " + d.Round(10*time.Millisecond).String()
			revs, out := c.status(t, c.etcdHosts[1])
			if _, a := revs[lbA.name]; a || len(revs) != 1 {
				t.Errorf("confwatch status while lb-a is cut off, its lease expired: want lb-b counted and lb-a not, got %v\n%s", revs, out)
			}
			h1.box.ctl("start", "apache@"+extra+".service")
		}
		if c.inConfig(lbA, extraAddr) {
			t.Errorf("lb-a, cut off from etcd, routes to a backend started during the cut")
		}
		noFailures(t, from, lbA, lbB)
		up := time.Now()
		f.window(l, "3: lb-a cut off from etcd", from, up, note)
		c.cut(lbA, true)
		took := waitFor(t, 60*time.Second, "lb-a routes to the backend started during the cut", func() (bool, string) {
			return c.inConfig(lbA, extraAddr), lbA.box.prop(lbUnit, "StatusText")
		})
		f.converge = append(f.converge, convergence{"lb-a's (case 3): it routes to the backend started meanwhile", took})
		if c.barrier {
			waitFor(t, 30*time.Second, "confwatch status: both LBs counted, at the backends' last change", func() (bool, string) {
				revs, out := c.status(t, c.etcdHosts[1])
				last := c.lastChange(t)
				return len(revs) == 2 && revs[lbA.name] >= last && revs[lbB.name] >= last, fmt.Sprintf("last change %d: %s", last, out)
			})
			f.converge = append(f.converge, convergence{"lb-a's (case 3): `confwatch status` shows both LBs at the last change", time.Since(up)})
		}
		noFailures(t, up, lbA, lbB)
		// Back to three backends. Not counted: without the barrier this stop is
		// case 1's negative control.
		h1.box.ctl("stop", "apache@"+extra+".service")
		c.waitConverged(20*time.Second, all...)
	})

	var case4 *labHost // the host cut in case 4; case 5 cuts another
	step("4_etcd_leader_cut_off", func(t *testing.T) {
		var old *labHost
		waitFor(t, 20*time.Second, "a leader", func() (bool, string) {
			var err error
			old, err = c.leader()
			return err == nil, errString(err)
		})
		from := time.Now()
		case4 = old
		c.cut(old, false)
		var now *labHost
		elected := waitFor(t, 30*time.Second, "another member leads", func() (bool, string) {
			var err error
			now, err = c.leader()
			return err == nil && now != old, errString(err)
		})
		// Agents and sidekicks follow the new leader: the cut host's sidekick cannot
		// renew its lease, the key expires and both LBs drop that backend; the other
		// sidekicks keep theirs.
		left := c.waitConverged(clTTL+20*time.Second, c.backendAddrs(without(c.etcdHosts, old)...)...)
		noFailures(t, from, lbA, lbB)
		up := time.Now()
		f.window(l, "4: the etcd leader's host ("+old.name+") cut off", from, up,
			"new leader "+now.name+" after "+elected.Round(10*time.Millisecond).String()+"; "+old.name+"'s backend out of both LBs after "+(elected+left).Round(10*time.Millisecond).String())
		c.cut(old, true)
		took := c.waitConverged(60*time.Second, all...)
		f.converge = append(f.converge, convergence{old.name + "'s, the old leader's (case 4): its backend back in both LBs", took})
		noFailures(t, up, lbA, lbB)
	})

	step("5_backend_host_cut_off", func(t *testing.T) {
		ld, _ := c.leader() // a member that does not lead, and not the one cut before
		h := without(c.etcdHosts, ld)[0]
		if others := without(without(c.etcdHosts, ld), case4); len(others) > 0 {
			h = others[0]
		}
		from := time.Now()
		c.cut(h, false)
		left := c.waitConverged(clTTL+20*time.Second, c.backendAddrs(without(c.etcdHosts, h)...)...)
		noFailures(t, from, lbA, lbB)
		up := time.Now()
		f.window(l, "5: backend host "+h.name+" cut off", from, up, "out of both upstreams after "+left.Round(10*time.Millisecond).String()+" (TTL "+clTTL.String()+")")
		c.cut(h, true)
		took := c.waitConverged(60*time.Second, all...)
		f.converge = append(f.converge, convergence{h.name + "'s (case 5): its backend back in both LBs", took})
		noFailures(t, up, lbA, lbB)
	})

	step("6_lb_host_restarted", func(t *testing.T) {
		from := time.Now()
		if err := lbB.box.Close(); err != nil { // as a power cut: SIGKILL to its systemd
			t.Fatal(err)
		}
		c.boot(lbB) // nothing is started by the test: nginx_lb is wanted at boot
		c.waitLB(lbB)
		booted := time.Now()
		took := waitFor(t, 30*time.Second, "lb-b answers from every backend again", func() (bool, string) {
			by, _, _ := summary(l.between(lbB.name, booted, time.Now()))
			ok := true
			for _, h := range c.etcdHosts {
				ok = ok && by[h.port] > 0
			}
			return ok, strings.Join(keys(by), ",")
		})
		c.waitConverged(10*time.Second, all...)
		back := time.Now()
		noFailures(t, from, lbA)
		noFailures(t, booted.Add(took), lbB)
		f.window(l, "6: lb-b's host restarted", from, back, "lb-b down (its requests fail) until it served again "+back.Sub(from).Round(10*time.Millisecond).String()+" after the kill")
	})

	step("1_backend_cycles_with_a_slow_lb", func(t *testing.T) {
		lbB.box.write(clSlowFlag, nil, 0o644)
		rounds := 2
		if n, err := strconv.Atoi(os.Getenv("CLUSTER_ROUNDS")); err == nil && n > 0 {
			rounds = n
		}
		for _, mode := range c.drainModes() {
			c.setDrainMode(t, mode)
			c.waitConverged(30*time.Second, all...)
			from := time.Now()
			for range rounds {
				for _, h := range c.etcdHosts {
					d, _ := c.stopBackend(t, h, h.port)
					f.dereg[mode] = append(f.dereg[mode], d)
					h.box.ctl("start", "apache@"+h.port+".service")
					c.waitConverged(30*time.Second, all...)
					// The next stop starts once lb-b's reload is over: each stop then
					// waits for one slow reload, not also the one before it.
					waitFor(t, 10*time.Second, "lb-b's nginx reloaded with its last render", func() (bool, string) {
						return c.reloadedSinceRender(lbB), lbB.box.prop("nginx.service", "ActiveState")
					})
				}
			}
			to := time.Now()
			l.settle(to)
			cut, failed := 0, 0
			for _, h := range l.between("", from, to) {
				if h.err != nil {
					failed++
					if strings.Contains(h.err.Error(), "body cut") {
						cut++
					}
				}
			}
			note := ""
			if failed > 0 {
				note = fmt.Sprintf("%d of the %d failures: an answer cut short (the backend stopped with the request in flight through the LB)", cut, failed)
			}
			cf := f.window(l, "1: backend stop/start cycles, lb-b slow, "+mode, from, to, note)
			if mode == modeBarrier {
				noFailures(t, from, lbA, lbB)
				if n := cf.failed[lbA.name] + cf.failed[lbB.name]; n > 0 {
					t.Logf("with the barrier %d requests failed (%s): the backend got SIGTERM when the slow LB acknowledged its reload, "+
						"while its old nginx workers still had requests to it in flight; --drain, counted from the revoke, added no time after the barrier", n, note)
				}
			} else if cf.failed[lbA.name]+cf.failed[lbB.name] == 0 {
				t.Errorf("negative control: with %s and lb-b reloading in %v no request failed: the lab cannot show what the barrier holds", mode, clSlowReload)
			}
			t.Logf("%s: deregistration p50 %v p95 %v; sent %v failed %v", mode, percentile(f.dereg[mode], 50), percentile(f.dereg[mode], 95), cf.sent, cf.failed)
		}
		if !c.barrier {
			t.Log("the drain barrier (register --ack-prefix) is not in this confwatch: only the negative control ran")
		}
		f.complete = true
	})

}

func keys(m map[string]int) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+":"+strconv.Itoa(v))
	}
	return sortedCopy(out)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func without(hosts []*labHost, h *labHost) []*labHost {
	var out []*labHost
	for _, x := range hosts {
		if x != h {
			out = append(out, x)
		}
	}
	return out
}
