package units

import (
	"context"
	"errors"
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

// LintAndVerify is `confwatch lint-units`: LintPaths, then, with verify,
// VerifyFiles on the unit files among paths. verified is false when
// systemd-analyze is missing (the lint findings are still returned); an
// error reading the paths is a *UsageError.
func LintAndVerify(ctx context.Context, paths []string, verify bool) (findings []Finding, verified bool, err error) {
	findings, unitPaths, err := LintPaths(paths)
	if err != nil {
		return nil, false, &UsageError{err}
	}
	if !verify || len(unitPaths) == 0 {
		return findings, true, nil
	}
	vf, err := VerifyFiles(ctx, unitPaths)
	if errors.Is(err, ErrNoSystemdAnalyze) {
		return findings, false, nil
	}
	return append(findings, vf...), err == nil, err
}

// UsageError is an error about LintAndVerify's arguments (a path it cannot
// read), as opposed to one running systemd-analyze.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }
