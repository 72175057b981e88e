package units

import (
	"os"
	"path/filepath"
)

// LintPaths reads every file of paths and lints it (Lint); a file that is
// not a unit (README.md) is one finding. It also returns the paths that
// systemd-analyze verify can take (those named like units), and stops at the
// first file it cannot read.
func LintPaths(paths []string) (findings []Finding, unitPaths []string, err error) {
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, err
		}
		findings = append(findings, Lint(p, data)...)
		if CheckUnitName(filepath.Base(p)) == nil {
			unitPaths = append(unitPaths, p)
		}
	}
	return findings, unitPaths, nil
}
