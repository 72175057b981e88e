package sdbox

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// preflight reports what this machine lacks to build a box, as an errSkip.
func preflight() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: needs root (mounts and namespaces)", errSkip)
	}
	for _, tool := range []string{"nsenter", "unshare", "mount", "chroot"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%w: %s not installed", errSkip, tool)
		}
	}
	for _, prog := range []string{"systemd", "systemd-socket-proxyd"} {
		if systemdProgram(prog) == "" {
			return fmt.Errorf("%w: %s not installed", errSkip, prog)
		}
	}
	return nil
}

// boot builds the box's file systems and cgroup, launches systemd and waits for it.
func (b *Box) boot(units []UnitFile) error {
	dir, err := os.MkdirTemp("", "sdbox-")
	if err != nil {
		return err
	}
	b.dir = dir
	if strings.ContainsAny(dir, ",:") {
		return fmt.Errorf("temporary directory %q is unusable as an overlay option", dir)
	}
	if err := b.mountRoot(); err != nil {
		return err
	}
	if err := b.installUnits(units); err != nil {
		return err
	}
	if h := b.opts.Hostname; h != "" {
		if err := b.WriteFile("/etc/hostname", []byte(h+"\n"), 0o644); err != nil {
			return err
		}
	}
	for _, f := range b.opts.Files {
		if err := b.WriteFile(f.Path, f.Data, f.Mode); err != nil {
			return err
		}
	}
	if b.cgroup, err = newCgroup(filepath.Base(dir)); err != nil {
		return err
	}
	if err := b.launch(); err != nil {
		return err
	}
	return b.waitRunning(30 * time.Second)
}

// mountRoot mounts the tmpfs, the overlay of / on Root() and the shared /run tmpfs, and
// checks each really is mounted before anything is written under Root().
func (b *Box) mountRoot() error {
	ovl, root := filepath.Join(b.dir, "ovl"), b.Root()
	steps := []struct {
		src, target, fstype, data string
		flags                     uintptr
	}{
		{"sdbox", ovl, "tmpfs", "mode=755", 0},
		{"sdbox", root, "overlay", "lowerdir=/,upperdir=" + ovl + "/upper,workdir=" + ovl + "/work", 0},
		{"sdbox-run", filepath.Join(root, "run"), "tmpfs", "mode=755", syscall.MS_NOSUID | syscall.MS_NODEV},
	}
	magic := map[string]int64{"tmpfs": 0x01021994, "overlay": 0x794c7630}
	for i, s := range steps {
		if err := os.MkdirAll(s.target, 0o755); err != nil {
			return err
		}
		if err := syscall.Mount(s.src, s.target, s.fstype, s.flags, s.data); err != nil {
			if errors.Is(err, syscall.ENODEV) {
				return fmt.Errorf("%w: no %s file system: %v", errSkip, s.fstype, err)
			}
			return fmt.Errorf("mount %s on %s: %w", s.fstype, s.target, err)
		}
		b.mounts = append(b.mounts, s.target)
		if err := syscall.Mount("", s.target, "", syscall.MS_PRIVATE, ""); err != nil {
			return fmt.Errorf("make %s private: %w", s.target, err)
		}
		var st syscall.Statfs_t
		if err := syscall.Statfs(s.target, &st); err != nil || st.Type != magic[s.fstype] {
			return fmt.Errorf("%s is not the %s just mounted (statfs type %#x, %v)", s.target, s.fstype, st.Type, err)
		}
		if i == 0 {
			for _, d := range []string{"upper", "work"} {
				if err := os.Mkdir(filepath.Join(ovl, d), 0o755); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// launch starts systemd, in the network namespace of Options.NetNS if set. The starting goroutine keeps its OS thread for the box's life:
// the parent-death signal (SIGKILL) follows the thread that forked, so systemd dies with
// the test process even when cleanups never run.
func (b *Box) launch() error {
	logf, err := os.Create(filepath.Join(b.dir, "boot.log"))
	if err != nil {
		return err
	}
	defer logf.Close() // the child has its own copy
	args := []string{"/bin/sh", "-euc", stage1, "sdbox", stage2, b.Root(), b.cgroup, systemdProgram("systemd")}
	if b.opts.NetNS != "" {
		// nsenter joins the namespace and execs the shell: no fork, so it stays PID 1.
		args = append([]string{"nsenter", "--net=" + b.opts.netnsPath(), "--"}, args...)
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		return err
	}
	cmd := exec.Command(path, args[1:]...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "container=sdbox"}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC,
		Setsid:     true,
		Pdeathsig:  syscall.SIGKILL,
	}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with this goroutine
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		b.pid = cmd.Process.Pid
		started <- nil
		b.waitErr = cmd.Wait()
		close(b.exited)
	}()
	if err := <-started; err != nil {
		close(b.exited)
		return fmt.Errorf("start systemd: %w", err)
	}
	return nil
}

// waitRunning polls until systemctl is-system-running says running or degraded.
func (b *Box) waitRunning(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	state := "no bus relay socket yet"
	for time.Now().Before(deadline) {
		select {
		case <-b.exited:
			return fmt.Errorf("systemd exited during boot: %v", b.waitErr)
		case <-time.After(10 * time.Millisecond):
		}
		if _, err := os.Stat(b.PrivateBusPath()); err != nil {
			continue
		}
		out, _ := b.Systemctl("is-system-running")
		switch state = strings.TrimSpace(out); state {
		case "running", "degraded":
			return nil
		case "maintenance", "stopping", "offline":
			return fmt.Errorf("systemd is %s", state)
		}
	}
	return fmt.Errorf("systemd not running after %v: %s", timeout, state)
}
