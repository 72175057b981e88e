package netlab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// ipTimeout bounds every ip command.
const ipTimeout = 30 * time.Second

// errSkip marks what makes New skip the test (or fail under SDBOX_REQUIRE).
var errSkip = errors.New("netlab unavailable")

func preflight() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: needs root (network namespaces)", errSkip)
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return fmt.Errorf("%w: ip (iproute2) not installed", errSkip)
	}
	return nil
}

func skip(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("SDBOX_REQUIRE") != "" {
		t.Fatalf("netlab required (SDBOX_REQUIRE is set) but: %v", err)
	}
	t.Skipf("no network lab: %v", err)
}

// Sweep deletes the namespaces of labs whose test process is gone ("cwlab-<pid>-*" where
// no process <pid> runs). It leaves every other namespace alone.
func Sweep() error {
	ents, err := os.ReadDir("/run/netns")
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range ents {
		if stale(e.Name()) {
			errs = append(errs, ip("netns", "delete", e.Name()))
		}
	}
	return errors.Join(errs...)
}

// stale reports whether ns is a lab namespace whose process no longer runs.
func stale(ns string) bool {
	rest, ok := strings.CutPrefix(ns, namePrefix)
	if !ok {
		return false
	}
	pidText, _, ok := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(pidText)
	if !ok || err != nil || pid <= 0 {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// DialContext dials addr from inside the host's namespace, as net.Dialer.DialContext
// does (use it as an http.Transport's or a gRPC client's dialer). The socket is made on
// an OS thread that joins the namespace and is discarded afterwards (the goroutine
// exits locked), so no other goroutine of the process ever runs in the namespace; a
// socket, once made, stays in its namespace.
func (h *Host) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return inNS(h.NS(), func() (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	})
}

// Listen listens on addr inside the host's namespace (see DialContext).
func (h *Host) Listen(network, addr string) (net.Listener, error) {
	return inNS(h.NS(), func() (net.Listener, error) { return net.Listen(network, addr) })
}

// inNS runs fn on an OS thread that joins network namespace ns and is
// discarded afterwards (the goroutine exits locked), and returns its result.
func inNS[T any](ns string, fn func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
		if err := enter(ns); err != nil {
			var zero T
			done <- result{zero, err}
			return
		}
		v, err := fn()
		done <- result{v, err}
	}()
	r := <-done
	return r.v, r.err
}

// enter moves the calling thread into network namespace ns.
func enter(ns string) error {
	f, err := os.Open("/run/netns/" + ns)
	if err != nil {
		return fmt.Errorf("netlab: %w", err)
	}
	defer f.Close()
	if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("netlab: setns %s: %w", ns, err)
	}
	return nil
}
