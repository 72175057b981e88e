package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// perfRecord samples the agent's stacks with `perf record` while the
// changes run (-perf); stop ends it. The agent is built unstripped, with Go's
// frame pointers, so `perf report -i FILE` shows Go functions.
type perfRecord struct {
	cmd  *exec.Cmd
	file string
}

func startPerf(dir string, pid int) (*perfRecord, error) {
	p := &perfRecord{file: filepath.Join(dir, "perf.data")}
	p.cmd = exec.Command("perf", "record", "-F", "1999", "-g", "-p", fmt.Sprint(pid), "-o", p.file)
	p.cmd.Stdout, p.cmd.Stderr = os.Stderr, os.Stderr
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("perf record: %w", err)
	}
	return p, nil
}

// stop ends the recording; perf writes its file on SIGINT, so being ended
// by that signal is no error.
func (p *perfRecord) stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	err := p.cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return nil
	}
	return err
}
