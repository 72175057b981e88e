package units

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/coreos/go-systemd/v22/unit"
)

// stubUnits are units the generated files may depend on; Verify provides
// them unless dir has them.
var stubUnits = []string{"etcd.service", "etcd2.service", "etcd-member.service",
	"docker.service", "docker.socket", "podman.service", NginxUnit}

// stubBinaries are executables always stubbed, present on this host or not.
var stubBinaries = set("docker", "podman", "confwatch", "true")

// buildRoot lays out Verify's root and returns the unit file names of dir.
func buildRoot(root, dir string) ([]string, error) {
	if err := copyTree(SystemUnitDir, filepath.Join(root, SystemUnitDir)); err != nil {
		return nil, err
	}
	etc := filepath.Join(root, "etc/systemd/system")
	for _, d := range []string{etc, filepath.Join(root, "bin"), filepath.Join(root, "usr/bin")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	exes := map[string]bool{"/bin/true": true}
	for _, e := range ents {
		if CheckUnitName(e.Name()) != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(etc, e.Name()), data, 0o644); err != nil {
			return nil, err
		}
		names = append(names, e.Name())
		for _, x := range execPaths(data) {
			exes[x] = true
		}
	}
	stub := "[Unit]\nDescription=confwatch verify stub\n\n[Service]\nType=oneshot\nExecStart=/bin/true\n"
	for _, u := range stubUnits {
		if _, err := os.Stat(filepath.Join(dir, u)); err == nil {
			continue
		}
		if err := os.WriteFile(filepath.Join(etc, u), []byte(stub), 0o644); err != nil {
			return nil, err
		}
	}
	for x := range exes {
		if !stubBinaries[path.Base(x)] && !isExecutable(x) {
			continue
		}
		p := filepath.Join(root, x)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
			return nil, err
		}
	}
	return names, nil
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// execPaths returns the absolute executables of a unit's Exec*= lines,
// prefixes (-@:+!) removed; "-" lines are skipped as systemd skips them.
func execPaths(data []byte) []string {
	opts, err := unit.DeserializeOptions(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	var out []string
	for _, o := range opts {
		if !strings.HasPrefix(o.Name, "Exec") {
			continue
		}
		v := strings.TrimLeft(o.Value, "-@:+!")
		if strings.Contains(o.Value[:len(o.Value)-len(v)], "-") {
			continue
		}
		if strings.HasPrefix(v, `"`) {
			v, _, _ = strings.Cut(v[1:], `"`)
		} else if f := strings.Fields(v); len(f) > 0 {
			v = f[0]
		}
		if strings.HasPrefix(v, "/") && !strings.ContainsAny(v, "%$") {
			out = append(out, path.Clean(v))
		}
	}
	return out
}

// copyTree copies regular files, directories and symlinks from src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case d.Type().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(to, data, 0o644)
		}
		return fmt.Errorf("copy %s: unsupported file type %v", p, d.Type())
	})
}
