package units

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// ErrNoSystemdAnalyze is returned by Verify when systemd-analyze, or the
// system unit directory it needs, is missing: verification was skipped.
var ErrNoSystemdAnalyze = errors.New("systemd-analyze not available")

// SystemUnitDir is copied into Verify's throwaway root.
var SystemUnitDir = "/usr/lib/systemd/system"

// verifyInstance is the instance used to verify a template (a port).
const verifyInstance = "8080"

// Verify runs `systemd-analyze verify --man=no --generators=no --root=R` on
// the unit files names (base names in dir; nil means every unit file in
// dir) in a throwaway root R holding a copy of SystemUnitDir, every unit
// file of dir, stubs of the units the generated files depend on (etcd,
// docker, podman, nginx) and stub executables for the absolute Exec*=
// paths named docker, podman or confwatch or present on this host (so a
// binary missing here is a finding). A template is verified as its
// instance @8080. With no unit to verify it runs nothing and returns no
// finding. Every line systemd-analyze prints is a finding: it only
// warns about unknown keys and bad values. Returns ErrNoSystemdAnalyze
// (wrapped) when it cannot run, other errors when the root cannot be built.
func Verify(ctx context.Context, dir string, names []string) ([]Finding, error) {
	bin, err := exec.LookPath("systemd-analyze")
	if err != nil {
		return nil, fmt.Errorf("verify units: %w", ErrNoSystemdAnalyze)
	}
	if _, err := os.Stat(SystemUnitDir); err != nil {
		return nil, fmt.Errorf("verify units: %w: %v", ErrNoSystemdAnalyze, err)
	}
	root, err := os.MkdirTemp("", "confwatch-verify-")
	if err != nil {
		return nil, fmt.Errorf("verify units: %w", err)
	}
	defer os.RemoveAll(root)
	all, err := buildRoot(root, dir)
	if err != nil {
		return nil, fmt.Errorf("verify units: build root: %w", err)
	}
	if names == nil {
		names = all
	}
	if len(names) == 0 {
		return nil, nil // systemd-analyze verify without a unit is a usage error
	}
	args := []string{"verify", "--man=no", "--generators=no", "--root=" + root}
	inst := map[string]string{}
	for _, n := range names {
		i := n
		if strings.Contains(n, "@.") {
			i = strings.Replace(n, "@.", "@"+verifyInstance+".", 1)
		}
		inst[i] = n
		args = append(args, i)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(), "SYSTEMD_LOG_COLOR=0", "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0")
	runErr := cmd.Run()
	var exitErr *exec.ExitError
	if runErr != nil && !errors.As(runErr, &exitErr) {
		return nil, fmt.Errorf("verify units: run %s: %w", bin, runErr)
	}
	fs := parseVerify(out.String(), filepath.Join(root, "etc/systemd/system")+"/", dir, inst)
	if runErr != nil && len(fs) == 0 {
		fs = append(fs, Finding{File: dir, Msg: "systemd-analyze verify: " + runErr.Error()})
	}
	return fs, nil
}

var locRe = regexp.MustCompile(`^([^:\s]+):(\d+): (.*)$`)

// parseVerify turns systemd-analyze output into findings, naming files as
// the base names in dir (templates for their instances).
func parseVerify(out, rootUnits, dir string, inst map[string]string) []Finding {
	var fs []Finding
	for _, l := range strings.Split(out, "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		l = strings.ReplaceAll(l, rootUnits, "")
		if m := locRe.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[2])
			fs = append(fs, Finding{File: m[1], Line: n, Msg: m[3]})
			continue
		}
		f := Finding{File: dir, Msg: l}
		if name, msg, ok := strings.Cut(l, ": "); ok && inst[name] != "" {
			f.File, f.Msg = inst[name], msg
		}
		fs = append(fs, f)
	}
	return fs
}
