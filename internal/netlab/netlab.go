package netlab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Net is one network of the lab: a bridge, and a /24 whose first three octets are Subnet
// ("10.210.1"). Name (at most 4 characters, letters) is also the name of each host's
// interface on it.
type Net struct {
	Name   string
	Subnet string
}

// Lab is a running lab. Its methods may be called from any goroutine.
type Lab struct {
	prefix string // namespace name prefix, "cwlab-<pid>-"
	bridge string // the bridge namespace

	mu    sync.Mutex
	nets  map[string]Net
	hosts map[string]*Host
	made  []string // namespaces made, in order
}

// Host is one namespace of the lab with an address on some of its networks.
type Host struct {
	Name  string
	octet int
	lab   *Lab
	addrs map[string]string // net name -> address
}

var (
	netName  = regexp.MustCompile(`^[a-z]{1,4}$`)
	hostName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,9}$`)
	subnet   = regexp.MustCompile(`^(10|192\.168|172\.(1[6-9]|2[0-9]|3[01]))(\.[0-9]{1,3}){1,2}$`)
)

// New builds the bridge namespace with one bridge per network, after deleting stale
// namespaces of dead labs. The lab is torn down when the test ends.
func New(t testing.TB, nets ...Net) *Lab {
	t.Helper()
	if err := preflight(); err != nil {
		skip(t, err)
	}
	if err := Sweep(); err != nil {
		t.Logf("netlab: sweeping stale namespaces: %v", err)
	}
	l := &Lab{prefix: fmt.Sprintf("%s%d-", namePrefix, os.Getpid()), nets: map[string]Net{}, hosts: map[string]*Host{}}
	l.bridge = l.prefix + "bridge"
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("netlab: teardown: %v", err)
		}
	})
	if err := l.build(nets); err != nil {
		t.Fatalf("netlab: %v", err)
	}
	return l
}

// namePrefix starts every namespace name of every lab.
const namePrefix = "cwlab-"

func (l *Lab) build(nets []Net) error {
	for _, n := range nets {
		if !netName.MatchString(n.Name) || subnet.FindString(n.Subnet) != n.Subnet || strings.Count(n.Subnet, ".") != 2 {
			return fmt.Errorf("bad network %+v: want a name of 1-4 letters and a private /24 like 10.210.1", n)
		}
		if _, dup := l.nets[n.Name]; dup {
			return fmt.Errorf("network %s given twice", n.Name)
		}
		l.nets[n.Name] = n
	}
	if err := l.addNS(l.bridge); err != nil {
		return err
	}
	for _, n := range nets {
		br := "br-" + n.Name
		if err := ipIn(l.bridge, "link", "add", br, "type", "bridge"); err != nil {
			return err
		}
		if err := ipIn(l.bridge, "link", "set", br, "up"); err != nil {
			return err
		}
	}
	return nil
}

// AddHost makes a host namespace with loopback up and, on each network named, an
// interface of that name holding Subnet.octet/24, wired to the network's bridge.
func (l *Lab) AddHost(t testing.TB, name string, octet int, nets ...string) *Host {
	t.Helper()
	h, err := l.addHost(name, octet, nets)
	if err != nil {
		t.Fatalf("netlab: host %s: %v", name, err)
	}
	return h
}

func (l *Lab) addHost(name string, octet int, nets []string) (*Host, error) {
	if !hostName.MatchString(name) || name == "bridge" || octet < 1 || octet > 254 {
		return nil, fmt.Errorf("bad host %q (1-10 of a-z0-9-, not bridge) or octet %d", name, octet)
	}
	l.mu.Lock()
	_, dup := l.hosts[name]
	l.mu.Unlock()
	if dup {
		return nil, errors.New("host added twice")
	}
	h := &Host{Name: name, octet: octet, lab: l, addrs: map[string]string{}}
	ns := h.NS()
	if err := l.addNS(ns); err != nil {
		return nil, err
	}
	for _, nn := range nets {
		n, ok := l.nets[nn]
		if !ok {
			return nil, fmt.Errorf("no network %q", nn)
		}
		port, addr := portName(nn, name), fmt.Sprintf("%s.%d", n.Subnet, octet)
		steps := [][]string{
			{l.bridge, "link", "add", port, "type", "veth", "peer", "name", nn, "netns", ns},
			{l.bridge, "link", "set", port, "master", "br-" + nn, "up"},
			{ns, "addr", "add", addr + "/24", "dev", nn},
			{ns, "link", "set", nn, "up"},
		}
		for _, s := range steps {
			if err := ipIn(s[0], s[1:]...); err != nil {
				return nil, err
			}
		}
		h.addrs[nn] = addr
	}
	l.mu.Lock()
	l.hosts[name] = h
	l.mu.Unlock()
	return h, nil
}

// portName is the bridge-side name of host's link to net (at most 15 bytes).
func portName(net, host string) string { return net + "-" + host }

// addNS makes a namespace with loopback up and records it for teardown.
func (l *Lab) addNS(ns string) error {
	if err := ip("netns", "add", ns); err != nil {
		return err
	}
	l.mu.Lock()
	l.made = append(l.made, ns)
	l.mu.Unlock()
	return ipIn(ns, "link", "set", "lo", "up")
}

// NS is the host's network namespace name (for sdbox.Options.NetNS, `ip -n`).
func (h *Host) NS() string { return h.lab.prefix + h.Name }

// Addr is the host's address on network net ("" if not on it).
func (h *Host) Addr(net string) string { return h.addrs[net] }

// SetLink takes the host's link to network net down (up false) or up, at the bridge.
func (l *Lab) SetLink(h *Host, net string, up bool) error {
	if h.addrs[net] == "" {
		return fmt.Errorf("netlab: %s is not on %s", h.Name, net)
	}
	state := "down"
	if up {
		state = "up"
	}
	return ipIn(l.bridge, "link", "set", portName(net, h.Name), state)
}

// Close deletes every namespace the lab made, last first; it is idempotent and runs at
// the end of the test. Close the boxes in the namespaces first.
func (l *Lab) Close() error {
	l.mu.Lock()
	made := l.made
	l.made = nil
	l.mu.Unlock()
	var errs []error
	for _, ns := range slices.Backward(made) {
		if err := ip("netns", "delete", ns); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ip runs the ip command; the error holds its output.
func ip(args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), ipTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// ipIn runs ip in namespace ns (ip -n).
func ipIn(ns string, args ...string) error { return ip(append([]string{"-n", ns}, args...)...) }

// LinkState is "UP", "DOWN" or similar for the host's link to net, as the bridge sees it.
func (l *Lab) LinkState(h *Host, net string) (string, error) {
	out, err := exec.Command("ip", "-n", l.bridge, "-br", "link", "show", portName(net, h.Name)).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("ip link show: %w: %s", err, out)
	}
	f := strings.Fields(string(out))
	if len(f) < 2 {
		return "", fmt.Errorf("ip link show: %q", out)
	}
	return f[1], nil
}
