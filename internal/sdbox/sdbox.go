package sdbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// UnitFile is a file put under the box's /etc/systemd/system before boot: a unit
// ("app.service") or a drop-in ("nginx.service.d/port.conf"). Name is relative.
type UnitFile struct {
	Name    string
	Content string
}

// Box is a running systemd in its own namespaces. Its methods may be called from any
// goroutine until the test ends.
type Box struct {
	dir    string   // host directory holding ovl/, root/ and boot.log
	mounts []string // host mount points, in mount order
	cgroup string   // host path of the box's cgroup, "" until created
	pid    int      // host PID of the box's systemd
	opts   Options

	exited  chan struct{} // closed when systemd has been reaped
	waitErr error         // set before exited is closed

	closeOnce sync.Once
	closeErr  error
}

// errSkip marks conditions that make Start skip the test (or fail under SDBOX_REQUIRE).
var errSkip = errors.New("sdbox unavailable")

// Options are a box's settings beyond its units. The zero value is what Start uses.
type Options struct {
	// NetNS names a network namespace made with `ip netns add` (/run/netns/NetNS): the box's
	// systemd is started in it, so every service of the box and every command of Run sees
	// only that namespace's interfaces, addresses and routes (its loopback starts down
	// unless the namespace's owner sets it up). The box never creates, changes or removes
	// the namespace; its owner removes it after the box is closed. "" shares the host's
	// network namespace.
	NetNS string
	// Hostname, when not "", is written to the box's /etc/hostname before boot, so the
	// box's systemd sets it (in the box's own UTS namespace). "" keeps the host's file.
	Hostname string
	// Files are written into the box (with WriteFile) before systemd starts, so units
	// started at boot find them: binaries, configuration.
	Files []File
}

// File is a file put into the box before boot: Path inside the box, Data, Mode.
type File struct {
	Path string
	Data []byte
	Mode os.FileMode
}

// Start boots a box with units installed and returns when systemd reports running (or
// degraded). The box is torn down when the test and its subtests end.
func Start(t testing.TB, units ...UnitFile) *Box {
	t.Helper()
	return StartWith(t, Options{}, units...)
}

// StartWith is Start with options (a network namespace, a host name).
func StartWith(t testing.TB, opts Options, units ...UnitFile) *Box {
	t.Helper()
	if err := preflight(); err != nil {
		skip(t, err)
	}
	if err := opts.check(); err != nil {
		t.Fatalf("sdbox: %v", err)
	}
	b := &Box{exited: make(chan struct{}), opts: opts}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("sdbox: teardown: %v", err)
		}
	})
	began := time.Now()
	err := b.boot(units)
	if errors.Is(err, errSkip) {
		skip(t, err)
	}
	if err != nil {
		t.Fatalf("sdbox: %v\n%s", err, b.bootLog())
	}
	t.Logf("sdbox: systemd up as pid %d in %v (root %s, netns %q)", b.pid, time.Since(began).Round(time.Millisecond), b.Root(), opts.NetNS)
	return b
}

// check validates the options: the namespace must exist, the host name be plausible.
func (o Options) check() error {
	if o.NetNS != "" {
		if strings.ContainsAny(o.NetNS, "/\x00") || o.NetNS == "." || o.NetNS == ".." {
			return fmt.Errorf("bad network namespace name %q", o.NetNS)
		}
		if _, err := os.Stat(o.netnsPath()); err != nil {
			return fmt.Errorf("network namespace %q: %w", o.NetNS, err)
		}
	}
	if strings.ContainsAny(o.Hostname, "/ \t\n\x00") || len(o.Hostname) > 64 {
		return fmt.Errorf("bad host name %q", o.Hostname)
	}
	return nil
}

// netnsPath is where `ip netns add` keeps the namespace NetNS.
func (o Options) netnsPath() string { return filepath.Join("/run/netns", o.NetNS) }

func skip(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("SDBOX_REQUIRE") != "" {
		t.Fatalf("sdbox required (SDBOX_REQUIRE is set) but: %v", err)
	}
	t.Skipf("no systemd box: %v", err)
}

// Root is the host path of the box's /: write files under it (or with WriteFile) and read
// what the box wrote. Writes land in the box's memory-backed upper layer, not on the host.
func (b *Box) Root() string { return filepath.Join(b.dir, "root") }

// PrivateBusPath is the host path of a socket that relays to the box systemd's private
// D-Bus socket (/run/sdbox/private in the box; see the package doc). Speak to it as to
// /run/systemd/private: EXTERNAL authentication as root, no Hello.
func (b *Box) PrivateBusPath() string { return filepath.Join(b.Root(), "run/sdbox/private") }

// PID is the host PID of the box's systemd (PID 1 inside the box).
func (b *Box) PID() int { return b.pid }

// WriteFile writes data to name, a path inside the box ("/etc/nginx/conf.d/x.conf"),
// replacing a file or symlink there and creating missing directories (0755). Paths are
// resolved with os.Root, so a symlink can never lead the write out to the host; an
// absolute symlink on the way is an error (Root() is a host path, where such a link
// would name the host's file: write through Root() only with the same care).
func (b *Box) WriteFile(name string, data []byte, perm os.FileMode) error {
	r, err := os.OpenRoot(b.Root())
	if err != nil {
		return fmt.Errorf("sdbox: %w", err)
	}
	defer r.Close()
	rel := strings.TrimPrefix(filepath.Clean("/"+name), "/")
	if rel == "" {
		return fmt.Errorf("sdbox: bad path %q", name)
	}
	if err := r.MkdirAll(filepath.Dir(rel), 0o755); err != nil {
		return fmt.Errorf("sdbox: %w", err)
	}
	if err := r.Remove(rel); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("sdbox: %w", err)
	}
	if err := r.WriteFile(rel, data, perm); err != nil {
		return fmt.Errorf("sdbox: %w", err)
	}
	return nil
}

// bootLog returns what the box's start-up shell wrote (systemd itself logs to the box's
// journal, see Journal).
func (b *Box) bootLog() string {
	if b.dir == "" {
		return ""
	}
	data, err := os.ReadFile(filepath.Join(b.dir, "boot.log"))
	if err != nil {
		return fmt.Sprintf("(no boot log: %v)", err)
	}
	return "boot log:\n" + string(data)
}

// Close tears the box down (see the package doc). It is idempotent and also runs at the
// end of the test; call it early to check what teardown leaves behind.
func (b *Box) Close() error {
	b.closeOnce.Do(func() { b.closeErr = b.teardown() })
	return b.closeErr
}
