// Package machine describes the host a benchmark ran on.
package machine

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/confwatch/confwatch/bench/internal/procstat"
)

// Info is what a reader needs to compare numbers across machines.
type Info struct {
	CPU      string
	Cores    int
	MemBytes int64
	Kernel   string
	Go       string
}

// Describe reads /proc and uname.
func Describe() Info {
	in := Info{CPU: cpuModel(), Cores: runtime.NumCPU(), Go: goVersion()}
	in.MemBytes, _ = procstat.MemTotal()
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		in.Kernel = unix.ByteSliceToString(u.Sysname[:]) + " " + unix.ByteSliceToString(u.Release[:])
	}
	return in
}

// goVersion is the toolchain that builds the agent (`go version`), else the
// one this harness was built with.
func goVersion() string {
	if b, err := exec.Command("go", "env", "GOVERSION").Output(); err == nil {
		return strings.TrimSpace(string(b))
	}
	return runtime.Version()
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// tmpfsMagic is TMPFS_MAGIC from linux/magic.h.
const tmpfsMagic = 0x01021994

// IsTmpfs reports whether path lives on a tmpfs.
func IsTmpfs(path string) bool {
	var st unix.Statfs_t
	return unix.Statfs(path, &st) == nil && st.Type == tmpfsMagic
}

// LoadAvg returns the 1, 5 and 15 minute load averages, as /proc/loadavg
// has them ("0.12 0.34 0.56"), or "" if unknown.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
