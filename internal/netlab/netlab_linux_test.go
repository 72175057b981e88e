package netlab

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

var nets = []Net{{Name: "ctl", Subnet: "10.210.91"}, {Name: "svc", Subnet: "10.210.92"}}

// TestHostsTalkOnlyInsideTheLab wires two hosts, proves they reach each other on both
// networks, that a link taken down cuts only that network, and that it comes back.
func TestHostsTalkOnlyInsideTheLab(t *testing.T) {
	l := New(t, nets...)
	a := l.AddHost(t, "a", 1, "ctl", "svc")
	b := l.AddHost(t, "b", 2, "ctl", "svc")
	echo(t, a, a.Addr("ctl")+":7000")
	echo(t, a, a.Addr("svc")+":7000")
	for _, n := range []string{"ctl", "svc"} {
		if err := roundTrip(b, a.Addr(n)+":7000", time.Second); err != nil {
			t.Fatalf("b -> a on %s: %v", n, err)
		}
	}
	// The host's namespace has no lab address and no route into the lab (a connect
	// from it proves nothing where a transparent proxy accepts every connection).
	for args, lab := range map[string][]string{
		"-o addr":                    {"10.210.91.", "10.210.92."},
		"-o link":                    {": ctl", ": svc", ": br-", ": ctl-a", ": svc-b"},
		"route get " + a.Addr("ctl"): {"dev ctl", "dev br-"},
	} {
		out, err := exec.Command("ip", strings.Fields(args)...).CombinedOutput()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range lab {
			if strings.Contains(string(out), s) {
				t.Errorf("the host's namespace shows %q in ip %s:\n%s", s, args, out)
			}
		}
	}
	if err := l.SetLink(a, "ctl", false); err != nil {
		t.Fatal(err)
	}
	if st, err := l.LinkState(a, "ctl"); err != nil || st != "DOWN" {
		t.Errorf("link state after SetLink down = %q, %v", st, err)
	}
	if err := roundTrip(b, a.Addr("ctl")+":7000", 300*time.Millisecond); err == nil {
		t.Error("b reached a on ctl with a's ctl link down")
	}
	if err := roundTrip(b, a.Addr("svc")+":7000", time.Second); err != nil {
		t.Errorf("svc cut with ctl: %v", err)
	}
	if err := l.SetLink(a, "ctl", true); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for err := roundTrip(b, a.Addr("ctl")+":7000", time.Second); err != nil; err = roundTrip(b, a.Addr("ctl")+":7000", time.Second) {
		if time.Now().After(deadline) {
			t.Fatalf("ctl not back after the link came up: %v", err)
		}
	}
}

func TestTeardownAndSweep(t *testing.T) {
	if err := preflight(); err != nil {
		skip(t, err)
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	staleNS := namePrefix + strconv.Itoa(dead.Process.Pid) + "-x"
	liveNS := namePrefix + strconv.Itoa(os.Getpid()) + "-keep"
	for _, ns := range []string{staleNS, liveNS} {
		if err := ip("netns", "add", ns); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ip("netns", "delete", ns) })
	}
	var made []string
	t.Run("lab", func(t *testing.T) {
		l := New(t, nets[0])
		l.AddHost(t, "h", 1, "ctl")
		made = namespaces(t)
	})
	after := namespaces(t)
	if has(after, staleNS) {
		t.Errorf("New did not sweep %s (its process is gone)", staleNS)
	}
	if !has(after, liveNS) {
		t.Errorf("New swept %s, whose process runs", liveNS)
	}
	prefix := namePrefix + strconv.Itoa(os.Getpid()) + "-"
	for _, want := range []string{prefix + "bridge", prefix + "h"} {
		if !has(made, want) {
			t.Errorf("during the lab: no namespace %s in %q", want, made)
		}
		if has(after, want) {
			t.Errorf("after the lab: %s left behind", want)
		}
	}
}

func TestBadNames(t *testing.T) {
	l := &Lab{nets: map[string]Net{}, hosts: map[string]*Host{}}
	for _, n := range []Net{{Name: "toolong", Subnet: "10.1.2"}, {Name: "ctl", Subnet: "8.8.8"}, {Name: "ctl", Subnet: "10.1"}} {
		if err := l.build([]Net{n}); err == nil || !strings.Contains(err.Error(), "bad network") {
			t.Errorf("build(%+v) = %v", n, err)
		}
	}
	for _, h := range []string{"bridge", "Upper", "much-too-long-name", ""} {
		if _, err := l.addHost(h, 1, nil); err == nil {
			t.Errorf("addHost(%q) = nil", h)
		}
	}
}

// echo serves an echo on addr inside h until the test ends.
func echo(t *testing.T, h *Host, addr string) net.Listener {
	t.Helper()
	ln, err := h.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return ln
}

// roundTrip sends a line from h to addr and reads it back, within timeout.
func roundTrip(h *Host, addr string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := h.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return err
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil {
		return err
	}
	if string(buf) != "ping\n" {
		return errors.New("echo mismatch")
	}
	return nil
}

func namespaces(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir("/run/netns")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
