package agentproc

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/confwatch/confwatch/bench/internal/procstat"
)

// Agent is a running `confwatch run`.
type Agent struct {
	Started time.Time // just before the process was started
	cmd     *exec.Cmd
	logf    *os.File
	exited  chan struct{}
	stop    sync.Once
	stopErr error
}

// Start runs `bin run` on c against endpoint, with a clean environment (PATH,
// HOME and env, KEY=VALUE), an empty confwatch.toml, state kept in the confdir
// and a JSON debug log.
func Start(bin string, c *Confdir, endpoint string, env ...string) (*Agent, error) {
	return start(bin, c, []string{"run", "--config", filepath.Join(c.Dir, "confwatch.toml"),
		"--confdir", c.Dir, "--endpoints", endpoint, "--state-dir", filepath.Join(c.Dir, "state"),
		"--log-format", "json", "--log-level", "debug"}, env)
}

// StartPeer runs bin with confd's command line on c (`-watch -backend
// etcdv3 -node endpoint -confdir dir`): confd, its maintained fork, or
// confwatch's own confd command line. CONFWATCH_CONFIG and
// CONFWATCH_STATE_DIR keep a confwatch peer inside c; others ignore them.
func StartPeer(bin string, c *Confdir, endpoint string, env ...string) (*Agent, error) {
	env = append([]string{"CONFWATCH_CONFIG=" + filepath.Join(c.Dir, "confwatch.toml"),
		"CONFWATCH_STATE_DIR=" + filepath.Join(c.Dir, "state")}, env...)
	return start(bin, c, []string{"-watch", "-backend", "etcdv3", "-node", endpoint, "-confdir", c.Dir}, env)
}

func start(bin string, c *Confdir, args, env []string) (*Agent, error) {
	logf, err := os.Create(c.Log)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + c.Dir}, env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	a := &Agent{cmd: cmd, logf: logf, exited: make(chan struct{})}
	a.Started = time.Now()
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return nil, fmt.Errorf("start agent: %w", err)
	}
	go func() { _ = cmd.Wait(); close(a.exited) }()
	return a, nil
}

// Pid is the agent's process id.
func (a *Agent) Pid() int { return a.cmd.Process.Pid }

// CPU is the agent's own CPU time so far.
func (a *Agent) CPU() (procstat.CPU, error) { return procstat.ReadCPU(a.Pid()) }

// PeakRSS is the agent's VmHWM in bytes.
func (a *Agent) PeakRSS() (int64, error) { return procstat.PeakRSS(a.Pid()) }

// Exited reports whether the process has ended.
func (a *Agent) Exited() bool {
	select {
	case <-a.exited:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM, waits up to 30 s (then kills), and closes the log.
// Later calls return the first call's result.
func (a *Agent) Stop() error {
	a.stop.Do(func() {
		_ = a.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-a.exited:
		case <-time.After(30 * time.Second):
			_ = a.cmd.Process.Kill()
			<-a.exited
		}
		a.stopErr = a.logf.Close()
	})
	return a.stopErr
}

// Record is one line of the agent's JSON log.
type Record struct {
	Time  time.Time
	Level string
	Msg   string
	Attrs map[string]any
}

// ReadLog parses the agent's log; lines that are not JSON are skipped.
func ReadLog(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			continue
		}
		r := Record{Attrs: m}
		r.Level, _ = m["level"].(string)
		r.Msg, _ = m["msg"].(string)
		if s, ok := m["time"].(string); ok {
			r.Time, _ = time.Parse(time.RFC3339Nano, s)
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

// Count returns how many records have message msg.
func Count(rs []Record, msg string) int {
	n := 0
	for _, r := range rs {
		if r.Msg == msg {
			n++
		}
	}
	return n
}

// First returns the first record with message msg.
func First(rs []Record, msg string) (Record, bool) {
	for _, r := range rs {
		if r.Msg == msg {
			return r, true
		}
	}
	return Record{}, false
}
