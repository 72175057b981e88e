package sdbox

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// runTimeout bounds every command run in the box.
const runTimeout = 2 * time.Minute

// boxEnv is the environment of commands run in the box.
var boxEnv = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "SYSTEMD_PAGER=",
	"SYSTEMD_COLORS=0", "TERM=dumb"}

// Run runs args inside the box (its mounts, PIDs, hostname, network and root, through nsenter)
// and returns stdout and stderr combined. The error includes the output.
func (b *Box) Run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	nsargs := append([]string{"-t", strconv.Itoa(b.pid), "-m", "-p", "-u", "-i", "-n", "-r", "-w", "--"}, args...)
	cmd := exec.CommandContext(ctx, "nsenter", nsargs...)
	cmd.Env = boxEnv
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("sdbox: %q: %w: %s", args, err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// Systemctl runs systemctl with args in the box.
func (b *Box) Systemctl(args ...string) (string, error) {
	return b.Run(append([]string{"systemctl", "--no-pager"}, args...)...)
}

// WaitActive waits up to timeout for unit to be active. It fails early when the unit
// fails, with its status and journal in the error.
func (b *Box) WaitActive(unit string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	state := ""
	for {
		out, _ := b.Systemctl("is-active", unit)
		state = strings.TrimSpace(out)
		if state == "active" {
			return nil
		}
		if state == "failed" || time.Now().After(deadline) {
			status, _ := b.Systemctl("status", unit)
			return fmt.Errorf("sdbox: %s is %s\n%s\n%s", unit, state, status, b.Journal(unit))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Journal returns the box journal's lines for unit (all lines when unit is ""), from the
// box's journald, which systemd starts with the first service. Errors are in the text.
func (b *Box) Journal(unit string) string {
	args := []string{"journalctl", "--no-pager", "-q", "-o", "short-monotonic"}
	if unit != "" {
		args = append(args, "-u", unit)
	}
	out, err := b.Run(args...)
	if err != nil {
		return out + "\n(journalctl: " + err.Error() + ")"
	}
	return out
}
