// Package drain counts the old generations of a service's workers that are
// still shutting down, read from the unit's cgroup: the input of the reload
// hold (issue 17). It only reads: cgroup.procs under the cgroup filesystem,
// then each process's cmdline and start time under /proc.
//
// Contract: a process whose /proc entry is hidden or gone is skipped, so an
// unreadable cgroup counts as nothing draining and never holds a reload.
// ProtectProc=invisible (procfs hidepid=invisible) hides other users'
// processes only from a reader outside procfs' gid= group, 0 unless set:
// an agent running as root (group 0), as the shipped unit does, still sees
// nginx's www-data workers; one running as another user does not.
package drain

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Matcher tells a service's draining workers by their process title.
type Matcher struct {
	Name string
	// Draining reports whether a process with this cmdline (NULs as spaces)
	// is a worker of an old generation that is shutting down.
	Draining func(cmdline string) bool
}

// Matchers are the built-in per-service rules, by name.
//   - nginx: workers retitle themselves "nginx: worker process is shutting
//     down" when a reload (SIGHUP) replaces their generation; they exit when
//     their last connection closes (or at worker_shutdown_timeout).
var Matchers = map[string]Matcher{
	"nginx": {Name: "nginx", Draining: func(c string) bool {
		return strings.HasPrefix(c, "nginx: worker process is shutting down")
	}},
}

// Proc is one process of the cgroup.
type Proc struct {
	PID     int
	Cmdline string
	Start   uint64 // start time, clock ticks since boot (/proc/PID/stat field 22)
}

// SameGeneration is the largest gap between the start times of two workers
// of one generation: a master forks its workers within a few ms, while
// reloads under the default budget are at least a second apart. In clock
// ticks (USER_HZ = 100): 100 ms.
const SameGeneration = 10

// Generations counts the generations among the draining processes: groups
// of start times no more than SameGeneration apart.
func Generations(procs []Proc, m Matcher) int {
	var starts []uint64
	for _, p := range procs {
		if m.Draining(p.Cmdline) {
			starts = append(starts, p.Start)
		}
	}
	slices.Sort(starts)
	n := 0
	for i, s := range starts {
		if i == 0 || s-starts[i-1] > SameGeneration {
			n++
		}
	}
	return n
}

// Read lists the processes of cgroup cg (systemd's ControlGroup property,
// "/system.slice/nginx.service") from fsys rooted at "/": the unified
// hierarchy at sys/fs/cgroup and procfs at proc. unseen counts the
// processes the cgroup lists whose /proc entry could not be read: exited
// since, or hidden (ProtectProc=invisible hides other users' processes,
// such as nginx's www-data workers, from a reader outside group 0 without
// CAP_SYS_PTRACE).
func Read(fsys fs.FS, cg string) (procs []Proc, unseen int, err error) {
	dir := path.Join("sys/fs/cgroup", strings.TrimPrefix(path.Clean("/"+cg), "/"))
	data, err := fs.ReadFile(fsys, path.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil, 0, fmt.Errorf("read cgroup %s: %w", cg, err)
	}
	for _, f := range strings.Fields(string(data)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			continue
		}
		p, err := readProc(fsys, pid)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			unseen++ // exited, or hidden by ProtectProc
			continue
		}
		if err != nil {
			return nil, unseen, err
		}
		procs = append(procs, p)
	}
	return procs, unseen, nil
}

func readProc(fsys fs.FS, pid int) (Proc, error) {
	base := path.Join("proc", strconv.Itoa(pid))
	cmd, err := fs.ReadFile(fsys, path.Join(base, "cmdline"))
	if err != nil {
		return Proc{}, err
	}
	stat, err := fs.ReadFile(fsys, path.Join(base, "stat"))
	if err != nil {
		return Proc{}, err
	}
	start, err := startTime(stat)
	if err != nil {
		return Proc{}, fmt.Errorf("pid %d: %w", pid, err)
	}
	c := strings.TrimSpace(string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '})))
	return Proc{PID: pid, Cmdline: c, Start: start}, nil
}

// startTime is field 22 of /proc/PID/stat; the fields are counted after
// the command in parentheses, which may itself hold spaces.
func startTime(stat []byte) (uint64, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("stat: no command field")
	}
	f := strings.Fields(string(stat[i+1:])) // f[0] is field 3
	if len(f) < 20 {
		return 0, errors.New("stat: too few fields")
	}
	return strconv.ParseUint(f[19], 10, 64)
}
