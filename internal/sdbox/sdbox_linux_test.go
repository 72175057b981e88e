package sdbox

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

const sleeper = "[Service]\nExecStart=/bin/sleep infinity\n"

func TestBoxIsolation(t *testing.T) {
	t.Parallel()
	b := Start(t, UnitFile{Name: "sleeper.service", Content: sleeper})
	if out, err := b.Run("cat", "/proc/1/comm"); err != nil || strings.TrimSpace(out) != "systemd" {
		t.Fatalf("PID 1 in the box = %q, %v; want systemd", out, err)
	}
	if _, err := b.Run("sh", "-c", "echo box > /etc/sdbox-probe && hostname sdbox-probe"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/etc/sdbox-probe"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a write in the box reached the host: %v", err)
	}
	if data, err := os.ReadFile(filepath.Join(b.Root(), "etc/sdbox-probe")); err != nil || string(data) != "box\n" {
		t.Errorf("box file via Root() = %q, %v", data, err)
	}
	if h, _ := os.Hostname(); h == "sdbox-probe" {
		t.Error("hostname set in the box changed the host's")
	}
	var dev syscall.Stat_t
	if err := syscall.Stat("/dev", &dev); err != nil {
		t.Fatal(err)
	}
	if out, err := b.Run("stat", "-c", "%d", "/dev"); err != nil || strings.TrimSpace(out) == strconv.FormatUint(dev.Dev, 10) {
		t.Errorf("the box's /dev is the host's (device %s, %v): its journald would write /dev/log there", out, err)
	}
	if _, err := b.Systemctl("start", "sleeper.service"); err != nil {
		t.Fatal(err)
	}
	cg, _ := b.Systemctl("show", "-P", "ControlGroup", "sleeper.service")
	if cg = strings.TrimSpace(cg); cg != "/system.slice/sleeper.service" || !exists(filepath.Join(b.cgroup, cg)) {
		t.Errorf("unit cgroup %q is not inside the box's cgroup %s", cg, b.cgroup)
	}
}

func TestWriteFileStaysInTheBox(t *testing.T) {
	t.Parallel()
	b := Start(t)
	host, err := os.ReadFile("/etc/nginx/sites-available/default")
	if err != nil {
		t.Skipf("needs nginx's default site: %v", err)
	}
	// sites-enabled/default is an absolute symlink: through Root() it names the host's file.
	if err := b.WriteFile("/etc/nginx/sites-enabled/default", []byte("# box\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := b.Run("cat", "/etc/nginx/sites-enabled/default"); err != nil || out != "# box\n" {
		t.Errorf("in the box: %q, %v", out, err)
	}
	if now, _ := os.ReadFile("/etc/nginx/sites-available/default"); string(now) != string(host) {
		t.Fatal("WriteFile wrote through a symlink to the host's file")
	}
	if err := b.WriteFile("/../../etc/sdbox-probe", nil, 0o644); err != nil { // is the box's /etc/sdbox-probe
		t.Fatal(err)
	}
	if exists("/etc/sdbox-probe") {
		t.Error("WriteFile climbed out of the box")
	}
}

func TestUnitsAndJournal(t *testing.T) {
	t.Parallel()
	b := Start(t,
		UnitFile{Name: "hello.service", Content: "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/echo hello-from-sdbox\n"},
		UnitFile{Name: "hello.service.d/env.conf", Content: "[Service]\nEnvironment=X=1\n"},
	)
	if _, err := b.Systemctl("start", "hello.service"); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitActive("hello.service", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if out, _ := b.Systemctl("show", "-p", "Environment", "hello.service"); !strings.Contains(out, "X=1") {
		t.Errorf("drop-in not applied: %q", out)
	}
	if j := b.Journal("hello.service"); !strings.Contains(j, "hello-from-sdbox") {
		t.Errorf("journal lacks the unit's output:\n%s", j)
	}
	if err := b.WaitActive("nonexistent.service", 200*time.Millisecond); err == nil {
		t.Error("WaitActive of a missing unit = nil")
	}
}

// TestPrivateBusFromHost proves the host reaches the box's systemd over D-Bus at
// PrivateBusPath (the way agent/systemd's tests use).
func TestPrivateBusFromHost(t *testing.T) {
	t.Parallel()
	b := Start(t)
	conn, err := sddbus.NewConnection(func() (*dbus.Conn, error) {
		c, err := dbus.Dial("unix:path=" + dbus.EscapeBusAddressValue(b.PrivateBusPath()))
		if err != nil {
			return nil, err
		}
		return c, c.Auth([]dbus.Auth{dbus.AuthExternal("0")})
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	p, err := conn.SystemStateContext(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Value.Value(); s != "running" && s != "degraded" {
		t.Errorf("SystemState over D-Bus = %v", s)
	}
}

func TestCloseLeavesNothing(t *testing.T) {
	t.Parallel()
	b := Start(t, UnitFile{Name: "sleeper.service", Content: sleeper})
	if _, err := b.Systemctl("start", "sleeper.service", "systemd-journald.service"); err != nil {
		t.Fatal(err)
	}
	pids := cgroupPIDs(t, b.cgroup)
	if len(pids) < 3 { // systemd, journald, sleep
		t.Fatalf("box cgroup holds pids %v, want systemd, journald and sleep", pids)
	}
	dir, cg := b.dir, b.cgroup
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("box process %d survived: %v", pid, err)
		}
	}
	if left, err := MountsUnder(dir); err != nil || len(left) > 0 {
		t.Errorf("mounts left: %q, %v", left, err)
	}
	for _, p := range []string{dir, cg} {
		if exists(p) {
			t.Errorf("%s left behind", p)
		}
	}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// cgroupPIDs lists the host PIDs in the cgroup tree at dir.
func cgroupPIDs(t *testing.T, dir string) []int {
	t.Helper()
	var pids []int
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Name() != "cgroup.procs" {
			return err
		}
		data, err := os.ReadFile(p)
		for _, f := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(f); err == nil {
				pids = append(pids, pid)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return pids
}

// TestBoxInANetworkNamespace boots a box in a namespace of its own: systemd, its services
// and Run's commands are in it, the host name is the one asked for, and Options.Files
// are in place at boot.
func TestBoxInANetworkNamespace(t *testing.T) {
	t.Parallel()
	if err := preflight(); err != nil {
		skip(t, err)
	}
	ns := "sdboxtest-" + strconv.Itoa(os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		skip(t, fmt.Errorf("%w: ip netns add: %v: %s", errSkip, err, out))
	}
	t.Cleanup(func() { // after the box's teardown (cleanups run last first)
		if out, err := exec.Command("ip", "netns", "delete", ns).CombinedOutput(); err != nil {
			t.Errorf("ip netns delete %s: %v: %s", ns, err, out)
		}
	})
	b := StartWith(t, Options{NetNS: ns, Hostname: "boxed", Files: []File{{Path: "/etc/sdbox-preset", Data: []byte("before boot\n"), Mode: 0o600}}},
		UnitFile{Name: "sleeper.service", Content: sleeper},
		// Started at boot: the file was there before systemd.
		UnitFile{Name: "sdbox.target.d/preset.conf", Content: "[Unit]\nWants=preset.service\n"},
		UnitFile{Name: "preset.service", Content: "[Unit]\nConditionPathExists=/etc/sdbox-preset\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n"})
	if out, _ := b.Systemctl("is-active", "preset.service"); strings.TrimSpace(out) != "active" {
		t.Errorf("a unit started at boot did not find Options.Files' file: preset.service is %q", out)
	}
	if _, err := b.Systemctl("start", "sleeper.service"); err != nil {
		t.Fatal(err)
	}
	want := nsInode(t, "/run/netns/"+ns)
	if got := nsInode(t, "/proc/self/ns/net"); got == want {
		t.Fatal("the test itself runs in the namespace: nothing would be proved")
	}
	pid := strings.TrimSpace(mustRun(t, b, "systemctl", "show", "-P", "MainPID", "sleeper.service"))
	inBox := strings.TrimSpace(mustRun(t, b, "stat", "-L", "-c", "%i", "/proc/1/ns/net", "/proc/"+pid+"/ns/net", "/proc/self/ns/net"))
	if fields := strings.Fields(inBox); len(fields) != 3 || fields[0] != want || fields[1] != want || fields[2] != want {
		t.Errorf("network namespaces of systemd, a service and Run = %q, want all %s", fields, want)
	}
	if got := nsInode(t, "/proc/"+strconv.Itoa(b.PID())+"/ns/net"); got != want {
		t.Errorf("the box's systemd (host pid %d) is in netns %s, want %s", b.PID(), got, want)
	}
	if out := mustRun(t, b, "ip", "-o", "link"); strings.Count(out, "\n") != 1 || !strings.Contains(out, ": lo:") {
		t.Errorf("links in the box = %q, want only lo", out)
	}
	if out := mustRun(t, b, "hostname"); strings.TrimSpace(out) != "boxed" {
		t.Errorf("host name in the box = %q, want boxed", out)
	}
}

func TestStartWithRefusesAMissingNamespace(t *testing.T) {
	if err := (Options{NetNS: "sdboxtest-missing-" + strconv.Itoa(os.Getpid())}).check(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("check of a missing namespace = %v, want not-exist", err)
	}
	for _, bad := range []Options{{NetNS: "../x"}, {NetNS: ".."}, {Hostname: "a b"}} {
		if err := bad.check(); err == nil {
			t.Errorf("check(%+v) = nil", bad)
		}
	}
}

// nsInode is the inode of the namespace file p (a /proc/PID/ns link or a netns mount).
func nsInode(t *testing.T, p string) string {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		t.Fatal(err)
	}
	return strconv.FormatUint(st.Ino, 10)
}

func mustRun(t *testing.T, b *Box, args ...string) string {
	t.Helper()
	out, err := b.Run(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
