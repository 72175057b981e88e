package sdbox

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"syscall"
	"time"
)

// teardown kills systemd (and with it the box's PID namespace), removes the box's cgroup,
// detaches the host mounts and removes the directory, in that order; it removes the
// directory only when nothing is mounted under it any more.
func (b *Box) teardown() error {
	var errs []error
	if b.pid != 0 {
		_ = syscall.Kill(b.pid, syscall.SIGKILL) // fails only if already gone
		select {
		case <-b.exited:
		case <-time.After(30 * time.Second):
			errs = append(errs, fmt.Errorf("systemd (pid %d) still running after SIGKILL", b.pid))
		}
	}
	if b.cgroup != "" {
		if err := removeCgroup(b.cgroup); err != nil {
			errs = append(errs, err)
		}
	}
	for _, m := range slices.Backward(b.mounts) {
		if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", m, err))
		}
	}
	if b.dir == "" {
		return errors.Join(errs...)
	}
	if left, err := MountsUnder(b.dir); err != nil || len(left) > 0 {
		return errors.Join(append(errs, fmt.Errorf("not removing %s: still mounted %q (%v)", b.dir, left, err))...)
	}
	if err := os.RemoveAll(b.dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
