package units

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// VerifyFiles is Verify for unit files anywhere: it copies paths into a
// temporary directory (two paths with the same base name are an error),
// verifies them all and names findings by the paths given.
func VerifyFiles(ctx context.Context, paths []string) ([]Finding, error) {
	tmp, err := os.MkdirTemp("", "confwatch-units-")
	if err != nil {
		return nil, fmt.Errorf("verify units: %w", err)
	}
	defer os.RemoveAll(tmp)
	byBase := map[string]string{}
	for _, p := range paths {
		base := filepath.Base(p)
		if prev, dup := byBase[base]; dup {
			return nil, fmt.Errorf("verify units: %s and %s have the same unit name", prev, p)
		}
		byBase[base] = p
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("verify units: %w", err)
		}
		if err := os.WriteFile(filepath.Join(tmp, base), data, 0o644); err != nil {
			return nil, fmt.Errorf("verify units: %w", err)
		}
	}
	fs, err := Verify(ctx, tmp, nil)
	for i := range fs {
		if p, ok := byBase[fs[i].File]; ok {
			fs[i].File = p
		} else if fs[i].File == tmp {
			fs[i].File = "systemd-analyze"
		}
	}
	return fs, err
}
