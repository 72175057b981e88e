package apply

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"text/template"
	"time"
)

// ErrCommand is wrapped by every failed check or reload command.
var ErrCommand = errors.New("command failed")

// Expand fills a check_cmd or reload_cmd template. Only {{.src}} and {{.dest}}
// exist: no etcd value ever reaches a shell. Each path becomes one shell word
// (Quote), so a space, a quote or a $(...) in it is never split or run; write
// {{.src}}, not "{{.src}}".
func Expand(cmd, src, dest string) (string, error) {
	t, err := template.New("cmd").Option("missingkey=error").Parse(cmd)
	if err != nil {
		return "", fmt.Errorf("command %q: %w", cmd, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, map[string]string{"src": Quote(src), "dest": Quote(dest)}); err != nil {
		return "", fmt.Errorf("command %q: %w", cmd, err)
	}
	return b.String(), nil
}

// Shell runs commands with /bin/sh -c in their own process group, killed
// (the whole group) at the timeout, with an environment that does not leak the
// agent's systemd notify socket or watchdog.
type Shell struct{}

// Run runs cmd and returns its combined output. A non-zero exit, a signal or
// the timeout give an error wrapping ErrCommand.
func (Shell) Run(ctx context.Context, cmd string, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := exec.CommandContext(ctx, "/bin/sh", "-c", cmd)
	c.Env = CleanEnv(os.Environ())
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	c.WaitDelay = 2 * time.Second
	out := &capped{max: MaxCommandOutput}
	c.Stdout, c.Stderr = out, out // one writer: os/exec calls it from one goroutine
	err := c.Run()
	if errors.Is(err, exec.ErrWaitDelay) {
		// The command exited, but something it started (a daemon) still
		// holds its output: the command's own exit status is what counts.
		err = nil
		if c.ProcessState != nil && !c.ProcessState.Success() {
			err = fmt.Errorf("exit status %d", c.ProcessState.ExitCode())
		}
	}
	if ctx.Err() == context.DeadlineExceeded {
		return out.Bytes(), fmt.Errorf("%w: %q timed out after %s", ErrCommand, cmd, timeout)
	}
	if err != nil {
		return out.Bytes(), fmt.Errorf("%w: %q: %v", ErrCommand, cmd, err)
	}
	return out.Bytes(), nil
}

// Quote returns s as one POSIX shell word: unchanged when it holds only
// characters no shell treats specially (so ordinary paths read as written),
// otherwise in single quotes, each single quote in it closed, escaped with a
// backslash and reopened.
func Quote(s string) string {
	if s != "" && strings.Trim(s, safeShellChars) == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

const safeShellChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./_-"

// CleanEnv returns env without what is the agent's own: the variables of its
// systemd supervision (so commands cannot talk to systemd as the agent) and
// every CONFWATCH_*, CONFD_*, ETCDCTL_* and ETCD_* variable (endpoints,
// users, passwords, certificate keys), so a check or reload command gets no
// credential the agent was given.
func CleanEnv(env []string) []string {
	out := env[:0:0]
	for _, e := range env {
		k, _, _ := strings.Cut(e, "=")
		if agentOwn(k) {
			continue
		}
		out = append(out, e)
	}
	return out
}

func agentOwn(k string) bool {
	switch k {
	case "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES":
		return true
	}
	for _, p := range []string{"CONFWATCH_", "CONFD_", "ETCDCTL_", "ETCD_"} {
		if strings.HasPrefix(strings.ToUpper(k), p) {
			return true
		}
	}
	return false
}

// CmdReloader is a reload_cmd as a Reloader: Cmd expanded with {{.src}} and
// {{.dest}} both Dest, run by Run with Timeout. Its error wraps Run's and
// carries the command's output.
type CmdReloader struct {
	Cmd     string
	Dest    string
	Timeout time.Duration
	Run     Runner
}

// reloadsRunning counts reload commands in flight, process-wide.
var reloadsRunning atomic.Int64

// ReloadsRunning reports how many reload commands (CmdReloader.Reload) are
// running right now in this process. The agent's watch on systemd's job queue
// uses it: a job held behind the agent's own start matters only while a
// reload command of the agent may be waiting for it.
func ReloadsRunning() int64 { return reloadsRunning.Load() }

// Reload runs the command.
func (c *CmdReloader) Reload(ctx context.Context) error {
	cmd, err := Expand(c.Cmd, c.Dest, c.Dest)
	if err != nil {
		return err
	}
	reloadsRunning.Add(1)
	defer reloadsRunning.Add(-1)
	out, err := c.Run.Run(ctx, cmd, c.Timeout)
	if err != nil {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// String describes the action, e.g. `reload_cmd "systemctl reload nginx"`.
func (c *CmdReloader) String() string { return fmt.Sprintf("reload_cmd %q", c.Cmd) }

// MaxCommandOutput bounds what Shell keeps of a command's output; the rest is
// counted and dropped, so a command printing without end cannot exhaust the
// agent's memory or its log.
const MaxCommandOutput = 64 << 10

// capped keeps the first max bytes written to it.
type capped struct {
	buf     bytes.Buffer
	max     int
	dropped int64
}

func (c *capped) Write(p []byte) (int, error) {
	keep := min(len(p), c.max-c.buf.Len())
	c.buf.Write(p[:keep])
	c.dropped += int64(len(p) - keep)
	return len(p), nil
}

// Bytes returns what was kept, with a note of what was dropped.
func (c *capped) Bytes() []byte {
	if c.dropped == 0 {
		return c.buf.Bytes()
	}
	return fmt.Appendf(c.buf.Bytes(), "\n[... %d more bytes of output dropped]", c.dropped)
}
