package units

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestCheckWritable: CheckWritable refuses, without leaving anything behind,
// every output WriteFiles could not complete, and accepts directories that
// do not exist yet but can be created.
func TestCheckWritable(t *testing.T) {
	files := []File{{Name: "a.service", Data: []byte("a")}, {Name: "conf.d/b.toml", Data: []byte("b")}}
	tests := []struct {
		name   string
		dir    func(t *testing.T, root string) string // the output directory
		root   bool                                   // the refusal needs a non-root user
		wantOK bool
	}{
		{"existing directory", func(t *testing.T, root string) string { return root }, false, true},
		{"directories to create", func(t *testing.T, root string) string { return filepath.Join(root, "x", "y") }, false, true},
		{"under a regular file", func(t *testing.T, root string) string {
			writeFile(t, filepath.Join(root, "afile"), "")
			return filepath.Join(root, "afile", "confd")
		}, false, false},
		{"output is a regular file", func(t *testing.T, root string) string {
			writeFile(t, filepath.Join(root, "afile"), "")
			return filepath.Join(root, "afile")
		}, false, false},
		{"a subdirectory is a regular file", func(t *testing.T, root string) string {
			writeFile(t, filepath.Join(root, "conf.d"), "")
			return root
		}, false, false},
		{"destination is a directory", func(t *testing.T, root string) string {
			mkdir(t, filepath.Join(root, "a.service"))
			return root
		}, false, false},
		{"under a dangling symlink", func(t *testing.T, root string) string {
			if err := os.Symlink(filepath.Join(root, "nowhere"), filepath.Join(root, "link")); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(root, "link", "confd")
		}, false, false},
		{"read-only parent", func(t *testing.T, root string) string {
			ro := filepath.Join(root, "ro")
			mkdir(t, ro)
			chmod(t, ro, 0o555)
			return filepath.Join(ro, "confd")
		}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.root && os.Geteuid() == 0 {
				t.Skip("root writes into read-only directories; run as a user")
			}
			root := t.TempDir()
			dir := tt.dir(t, root)
			before := tree(t, root)
			err := CheckWritable(dir, files, true)
			if (err == nil) != tt.wantOK {
				t.Fatalf("CheckWritable(%s) = %v, want ok %v", dir, err, tt.wantOK)
			}
			if after := tree(t, root); !slices.Equal(before, after) {
				t.Errorf("CheckWritable left %v, had %v", after, before)
			}
			if err == nil {
				if err := WriteFiles(dir, files, true); err != nil {
					t.Errorf("accepted, then WriteFiles: %v", err)
				}
			}
		})
	}
}

// tree lists every path under root, itself included.
func tree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		out = append(out, p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func writeFile(t *testing.T, p, data string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, p string) {
	t.Helper()
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
}

func chmod(t *testing.T, p string, mode fs.FileMode) {
	t.Helper()
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(p, 0o755) })
}
