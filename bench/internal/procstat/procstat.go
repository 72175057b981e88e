// Package procstat reads a process's CPU time and peak memory from /proc.
package procstat

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is USER_HZ, the unit of /proc/PID/stat times: 100 on every Linux
// architecture Go supports (sysconf(_SC_CLK_TCK) needs cgo).
const clockTick = 10 * time.Millisecond

// CPU is a process's own CPU time (all threads), not its children's.
type CPU struct {
	User, System time.Duration
}

// Total is user plus system time.
func (c CPU) Total() time.Duration { return c.User + c.System }

// ReadCPU returns utime and stime of pid.
func ReadCPU(pid int) (CPU, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return CPU{}, err
	}
	return parseStat(b)
}

// parseStat reads fields 14 (utime) and 15 (stime) of a /proc/PID/stat line.
// The command name (field 2) may hold spaces and parentheses: fields are
// counted from the last ')'.
func parseStat(b []byte) (CPU, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return CPU{}, fmt.Errorf("procstat: malformed stat %q", b)
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3 (state)
	if len(f) < 13 {
		return CPU{}, fmt.Errorf("procstat: short stat %q", b)
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return CPU{}, fmt.Errorf("procstat: bad times in %q", b)
	}
	return CPU{User: time.Duration(u) * clockTick, System: time.Duration(s) * clockTick}, nil
}

// PeakRSS returns VmHWM of pid in bytes: the most resident memory it has
// used since it started.
func PeakRSS(pid int) (int64, error) {
	return statusField(fmt.Sprintf("/proc/%d/status", pid), "VmHWM:")
}

// MemTotal returns the machine's memory in bytes.
func MemTotal() (int64, error) { return statusField("/proc/meminfo", "MemTotal:") }

// statusField reads a "Name:   123 kB" line.
func statusField(path, name string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name); ok {
			return parseKB(v)
		}
	}
	return 0, fmt.Errorf("procstat: no %s in %s", name, path)
}

func parseKB(v string) (int64, error) {
	f := strings.Fields(v)
	if len(f) == 0 {
		return 0, fmt.Errorf("procstat: empty value")
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("procstat: %w", err)
	}
	if len(f) > 1 && f[1] == "kB" {
		n *= 1024
	}
	return n, nil
}
