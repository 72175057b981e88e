package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"

	"github.com/confwatch/confwatch/internal/netlab"
	"github.com/confwatch/confwatch/internal/sdbox"
)

// The lab of issue 16. Five hosts and a client, each a network namespace, on two
// networks: ctl carries etcd (clients and peers), svc carries HTTP (client -> LBs ->
// backends). A "cut" takes a host's ctl link down: the host is cut off from etcd and
// etcd from it, while HTTP to and from it still flows, so what a case measures is
// confwatch's behaviour and not nginx's connect timeouts (nginx's generated config
// keeps the default proxy_connect_timeout of 60s).
//
// h1-h3 each run an etcd member (Debian's etcd.service) and one backend (apache@808N
// with its sidekick): etcd on every host as on CoreOS, and three boxes fewer than one
// role per host. The LBs (lb-a, lb-b: the generated nginx_lb.service and Debian's
// nginx) have hosts of their own, so that cutting an LB never costs an etcd member and
// cutting a member never costs an LB. The client namespace has no box: the test's load
// generator and etcd client open their sockets there (netlab's DialContext).
const (
	ctlNet, svcNet = "ctl", "svc"
	clTTL          = 5 * time.Second        // the sidekicks' lease TTL
	clDrain        = 500 * time.Millisecond // the sidekicks' --drain (after the barrier, with it)
	clDelay        = 200 * time.Millisecond // each backend answer's body follows its header by this
	clSlowReload   = 1500 * time.Millisecond
	clSlowFlag     = "/run/lab-slow-reload" // on an LB host: its nginx reloads take clSlowReload
	clReloaded     = "/run/lab-reloaded"    // touched at the end of each of its reloads
	clBasePort     = 8081
	clAckPrefix    = "/confwatch/acks" // generate-units' default
)

var labNets = []netlab.Net{{Name: ctlNet, Subnet: "10.210.1"}, {Name: svcNet, Subnet: "10.210.2"}}

// labHost is one host of the lab: its namespace, its box and what it boots with.
type labHost struct {
	name  string
	net   *netlab.Host
	box   *box
	opts  sdbox.Options
	units []sdbox.UnitFile
	files map[string]string // box path -> content, written after boot
	port  string            // the backend's port on an etcd host
	lb    bool
}

// cluster is the running lab.
type cluster struct {
	t                  *testing.T
	lab                *netlab.Lab
	client             *netlab.Host
	etcdHosts, lbHosts []*labHost
	endpoints          []string // etcd client URLs
	etcd               *clientv3.Client
	confwatch, backend string
	barrier            bool // the confwatch under test has the drain barrier (--ack-prefix)
}

// newCluster builds the lab: namespaces, the etcd hosts with a 3-member cluster, the
// LB hosts, then starts the backends and waits until both LBs serve all three.
func newCluster(t *testing.T) *cluster {
	prerequisites(t, "/usr/sbin/nginx", "/lib/systemd/system/nginx.service", "/usr/bin/etcd", "/lib/systemd/system/etcd.service")
	c := &cluster{t: t, lab: netlab.New(t, labNets...)}
	c.confwatch, c.backend = binaries(t)
	c.barrier = strings.Contains(run(t, c.confwatch, "register", "--help"), "--ack-prefix")
	c.client = c.lab.AddHost(t, "client", 99, ctlNet, svcNet)
	for i := range 3 {
		h := &labHost{name: "h" + strconv.Itoa(i+1), port: strconv.Itoa(clBasePort + i)}
		h.net = c.lab.AddHost(t, h.name, 11+i, ctlNet, svcNet)
		c.etcdHosts = append(c.etcdHosts, h)
		c.endpoints = append(c.endpoints, "http://"+h.net.Addr(ctlNet)+":2379")
	}
	for i, name := range []string{"lb-a", "lb-b"} {
		h := &labHost{name: name, lb: true}
		h.net = c.lab.AddHost(t, name, 21+i, ctlNet, svcNet)
		c.lbHosts = append(c.lbHosts, h)
	}
	for _, h := range c.etcdHosts {
		c.configureEtcdHost(h)
		c.boot(h)
		h.box.ctl("start", "--no-block", "etcd.service")
	}
	for _, h := range c.etcdHosts {
		if err := h.box.WaitActive("etcd.service", 30*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	c.etcd = c.etcdClient()
	for _, h := range c.lbHosts {
		c.configureLBHost(h)
		c.boot(h) // nginx_lb.service starts at boot (sdbox.target wants it)
	}
	for _, h := range c.lbHosts {
		c.waitLB(h)
	}
	t.Cleanup(func() { // before the boxes' teardown
		if !t.Failed() {
			return
		}
		for _, h := range c.lbHosts {
			if log, err := h.box.Run("tail", "-n", "40", "/var/log/nginx/error.log"); err == nil {
				t.Logf("%s: nginx's error.log:\n%s", h.name, log)
			}
		}
	})
	for _, h := range c.etcdHosts {
		h.box.ctl("enable", "--now", "apache@"+h.port+".service")
	}
	c.waitConverged(30*time.Second, c.backendAddrs(c.etcdHosts...)...)
	return c
}

// generate runs generate-units for host h with the lab's common options plus args.
func (c *cluster) generate(h *labHost, args ...string) ([]sdbox.UnitFile, map[string]string) {
	c.t.Helper()
	args = append([]string{"--flavor", "systemd", "--runtime", "exec", "--advertise-ip", h.net.Addr(svcNet),
		"--ttl", clTTL.String(), "--interval", "500ms", "--drain", clDrain.String(), "--restart-sec", "1s",
		"--lb-port", "80"}, args...)
	for _, e := range c.endpoints {
		args = append(args, "--endpoints", e)
	}
	return generateUnits(c.t, c.confwatch, args...)
}

// configureEtcdHost gives h its etcd member and its backend's units.
func (c *cluster) configureEtcdHost(h *labHost) {
	ctl := h.net.Addr(ctlNet)
	backendCmd := fmt.Sprintf("/usr/local/bin/e2e-backend -listen {ip}:{port} -delay %s -abort -etcd http://%s:2379 -key %s{ip}:{port} -report /run/e2e-backend-{port}.stop",
		clDelay, ctl, lbKeyDir)
	units, _ := c.generate(h, "--backend-exec", backendCmd)
	for _, u := range units {
		if strings.HasPrefix(u.Name, "apache") {
			h.units = append(h.units, u)
		}
	}
	var members []string
	for _, m := range c.etcdHosts {
		members = append(members, fmt.Sprintf("%s=http://%s:2380", m.name, m.net.Addr(ctlNet)))
	}
	h.units = append(h.units, sdbox.UnitFile{Name: "etcd.service.d/lab.conf", Content: fmt.Sprintf(`[Service]
EnvironmentFile=
Environment=ETCD_NAME=%[1]s ETCD_DATA_DIR=/var/lib/etcd/lab
Environment=ETCD_LISTEN_CLIENT_URLS=http://%[2]s:2379 ETCD_ADVERTISE_CLIENT_URLS=http://%[2]s:2379
Environment=ETCD_LISTEN_PEER_URLS=http://%[2]s:2380 ETCD_INITIAL_ADVERTISE_PEER_URLS=http://%[2]s:2380
Environment=ETCD_INITIAL_CLUSTER=%[3]s ETCD_INITIAL_CLUSTER_STATE=new ETCD_INITIAL_CLUSTER_TOKEN=cwlab
`, h.name, ctl, strings.Join(members, ","))})
	// The sidekicks start with the barrier when this confwatch has it.
	h.units = append(h.units, c.sidekickMode(c.t, h, c.drainModes()[len(c.drainModes())-1]))
}

// configureLBHost gives h the generated load balancer, started at boot, and an nginx
// whose reloads take clSlowReload while clSlowFlag exists.
func (c *cluster) configureLBHost(h *labHost) {
	units, confd := c.generate(h, "--etcd-unit", "", "--backend-exec", "/bin/false") // backends: not used here
	for _, u := range units {
		if u.Name == lbUnit {
			h.units = append(h.units, u)
			if line := execStart(u.Content); c.barrier && !strings.Contains(line, "--ack-prefix") {
				// A confwatch with the barrier whose generate-units does not pass it yet.
				h.units = append(h.units, sdbox.UnitFile{Name: lbUnit + ".d/lab-ack.conf",
					Content: "[Service]\nExecStart=\n" + line + " --ack-prefix " + clAckPrefix + "\n"})
			}
		}
	}
	slow := fmt.Sprintf("[Service]\nExecReload=\nExecReload=/bin/sh -c 'if [ -e %s ]; then sleep %g; fi; /usr/sbin/nginx -g \"daemon on; master_process on;\" -s reload && touch %s'\n",
		clSlowFlag, clSlowReload.Seconds(), clReloaded)
	h.units = append(h.units,
		sdbox.UnitFile{Name: "nginx.service.d/lab-slow.conf", Content: slow},
		// The box boots sdbox.target, not multi-user.target: this is its "enabled".
		sdbox.UnitFile{Name: "sdbox.target.d/lab.conf", Content: "[Unit]\nWants=" + lbUnit + "\n"})
	h.files = confd
	// Debian's default site also takes port 80 (WriteFile replaces the symlink).
	h.files["/etc/nginx/sites-enabled/default"] = "# removed by the lab: port 80 is the load balancer's\n"
}

// boot starts h's box in its namespace with its units, binaries and files in place
// before systemd starts (an LB host's nginx_lb.service starts at boot).
func (c *cluster) boot(h *labHost) {
	c.t.Helper()
	h.opts = sdbox.Options{NetNS: h.net.NS(), Hostname: h.name}
	for name, path := range map[string]string{"/usr/local/bin/confwatch": c.confwatch, "/usr/local/bin/e2e-backend": c.backend} {
		data, err := os.ReadFile(path)
		if err != nil {
			c.t.Fatal(err)
		}
		h.opts.Files = append(h.opts.Files, sdbox.File{Path: name, Data: data, Mode: 0o755})
	}
	for p, data := range h.files {
		h.opts.Files = append(h.opts.Files, sdbox.File{Path: p, Data: []byte(data), Mode: 0o644})
	}
	watch := []string{"etcd.service", "apache@" + h.port + ".service", "apache-discovery@" + h.port + ".service"}
	if h.lb {
		watch = []string{lbUnit, "nginx.service"}
	}
	h.box = startBoxWith(c.t, h.opts, watch, h.units...)
}

// waitLB waits for h's agent and nginx to be active.
func (c *cluster) waitLB(h *labHost) {
	c.t.Helper()
	for _, u := range []string{lbUnit, "nginx.service"} {
		if err := h.box.WaitActive(u, 40*time.Second); err != nil {
			c.t.Fatalf("%s: %s%v", h.name, explainInactive(h.box.Journal(lbUnit)), err)
		}
	}
}

// etcdClient is a client of the lab's etcd from the client namespace.
func (c *cluster) etcdClient() *clientv3.Client {
	c.t.Helper()
	dial := func(ctx context.Context, addr string) (net.Conn, error) {
		return c.client.DialContext(ctx, "tcp", addr)
	}
	cl, err := clientv3.New(clientv3.Config{Endpoints: c.endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop(),
		DialOptions: []grpc.DialOption{grpc.WithContextDialer(dial)}})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { _ = cl.Close() })
	return cl
}

// sortedCopy returns s sorted, leaving s as it is.
func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// run runs a host program and returns its output; failure fails the test.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %q: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// backendAddrs are the registered addresses of the backends of hosts (svc ip:port).
func (c *cluster) backendAddrs(hosts ...*labHost) []string {
	var out []string
	for _, h := range hosts {
		out = append(out, h.net.Addr(svcNet)+":"+h.port)
	}
	return out
}

// rendered is lb's rendered nginx configuration.
func (c *cluster) rendered(lb *labHost) string { return lb.box.read(lbDest) }

// inConfig reports whether lb's rendered configuration routes to addr.
func (c *cluster) inConfig(lb *labHost, addr string) bool {
	return strings.Contains(c.rendered(lb), "server "+addr+";")
}

// servers lists the upstream servers of lb's rendered configuration.
func (c *cluster) servers(lb *labHost) []string {
	var out []string
	for _, line := range strings.Split(c.rendered(lb), "\n") {
		s, ok := strings.CutPrefix(strings.TrimSpace(line), "server ")
		if s, semi := strings.CutSuffix(s, ";"); ok && semi {
			out = append(out, s)
		}
	}
	return out
}

// reloadedSinceRender reports whether lb's nginx finished a reload after the agent last
// wrote its configuration.
func (c *cluster) reloadedSinceRender(lb *labHost) bool {
	dest, err1 := os.Stat(filepath.Join(lb.box.Root(), lbDest))
	done, err2 := os.Stat(filepath.Join(lb.box.Root(), clReloaded))
	return err1 == nil && err2 == nil && !done.ModTime().Before(dest.ModTime())
}

// waitConverged waits until both LBs route to exactly addrs and answer from each of
// them (requests from the client namespace). It returns how long that took.
func (c *cluster) waitConverged(timeout time.Duration, addrs ...string) time.Duration {
	c.t.Helper()
	want := strings.Join(sortedCopy(addrs), " ")
	return waitFor(c.t, timeout, "both LBs route to exactly "+want, func() (bool, string) {
		var detail []string
		ok := true
		for _, lb := range c.lbHosts {
			got := strings.Join(sortedCopy(c.servers(lb)), " ")
			detail = append(detail, lb.name+": "+got+" ("+lb.box.prop(lbUnit, "StatusText")+")")
			ok = ok && got == want
		}
		return ok, strings.Join(detail, "; ")
	})
}

// cut takes h's link to etcd down (up false) or brings it back.
func (c *cluster) cut(h *labHost, up bool) {
	c.t.Helper()
	if err := c.lab.SetLink(h.net, ctlNet, up); err != nil {
		c.t.Fatal(err)
	}
}

// leader is the etcd host whose member leads, asked of every member that answers.
func (c *cluster) leader() (*labHost, error) {
	for i, ep := range c.endpoints {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		st, err := c.etcd.Status(ctx, ep)
		cancel()
		if err != nil {
			continue
		}
		if st.Leader == 0 {
			return nil, fmt.Errorf("%s knows no leader", ep)
		}
		if st.Header.MemberId == st.Leader {
			return c.etcdHosts[i], nil
		}
	}
	return nil, fmt.Errorf("no member says it leads")
}

// lbURLs maps each LB's name to its URL on the svc network.
func (c *cluster) lbURLs() map[string]string {
	m := map[string]string{}
	for _, lb := range c.lbHosts {
		m[lb.name] = "http://" + lb.net.Addr(svcNet) + "/"
	}
	return m
}
