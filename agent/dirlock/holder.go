package dirlock

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Holder is the process holding a lock, as far as /proc tells.
type Holder struct {
	PID     int
	Unit    string // systemd unit from /proc/PID/cgroup, "" when none
	Cmdline string // "" when unreadable
}

// String reads "pid 123 (nginx_lb.service: /usr/bin/confwatch run ...)".
func (h Holder) String() string {
	if h.PID == 0 {
		return "holder unknown (see /proc/locks)"
	}
	var what []string
	if h.Unit != "" {
		what = append(what, h.Unit)
	}
	if h.Cmdline != "" {
		what = append(what, h.Cmdline)
	}
	if len(what) == 0 {
		return fmt.Sprintf("pid %d", h.PID)
	}
	return fmt.Sprintf("pid %d (%s)", h.PID, strings.Join(what, ": "))
}

// holderOf finds the process holding a flock on the file id in /proc/locks
// ("1: FLOCK  ADVISORY  WRITE 123 08:01:4567 0 EOF", device in hex).
func holderOf(id [2]uint64) Holder {
	f, err := os.Open("/proc/locks")
	if err != nil {
		return Holder{}
	}
	defer f.Close()
	want := fmt.Sprintf("%02x:%02x:%d", unix.Major(id[0]), unix.Minor(id[0]), id[1])
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 6 || fs[1] != "FLOCK" || fs[5] != want {
			continue
		}
		pid, err := strconv.Atoi(fs[4])
		if err != nil || pid <= 0 {
			continue
		}
		return describe(pid)
	}
	return Holder{}
}

// describe reads what /proc says of pid.
func describe(pid int) Holder {
	h := Holder{PID: pid}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil {
		s := string(bytes.TrimRight(b, "\x00"))
		s = strings.ReplaceAll(s, "\x00", " ")
		if len(s) > 200 {
			s = s[:200] + "..."
		}
		h.Cmdline = s
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid)); err == nil {
		h.Unit = unitOf(string(b))
	}
	return h
}

// unitOf returns the innermost systemd unit (.service, .scope) in a
// /proc/PID/cgroup text, or "".
func unitOf(cgroup string) string {
	for _, line := range strings.Split(cgroup, "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || (parts[0] != "0" && !strings.Contains(parts[1], "name=systemd")) {
			continue
		}
		elems := strings.Split(parts[2], "/")
		for i := len(elems) - 1; i >= 0; i-- {
			if strings.HasSuffix(elems[i], ".service") || strings.HasSuffix(elems[i], ".scope") {
				return elems[i]
			}
		}
	}
	return ""
}
