package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

var own = Attrs{Mode: 0o640, UID: -1, GID: -1}

// names lists dir's entries, to show no temporary file is left behind.
func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func TestWrite(t *testing.T) {
	tests := []struct {
		name string
		old  string // "" : no file before
	}{
		{"creates", ""},
		{"replaces", "old bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "f.conf")
			if tt.old != "" {
				if err := os.WriteFile(p, []byte(tt.old), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := Write(p, []byte("new"), own); err != nil {
				t.Fatal(err)
			}
			c, err := Read(p)
			if err != nil {
				t.Fatal(err)
			}
			if string(c.Data) != "new" || c.Mode != 0o640 {
				t.Fatalf("after Write: %q mode %o", c.Data, c.Mode)
			}
			if got := names(t, dir); len(got) != 1 {
				t.Fatalf("directory holds %v, want only f.conf", got)
			}
		})
	}
}

func TestWriteFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.conf")
	if err := os.Mkdir(p, 0o755); err != nil { // rename of a file over a directory fails
		t.Fatal(err)
	}
	err := Write(p, []byte("x"), own)
	if err == nil {
		t.Fatal("Write over a directory succeeded")
	}
	if got := names(t, dir); len(got) != 1 {
		t.Fatalf("directory holds %v after a failed write", got)
	}
}

func TestLinkRefusesAnExistingFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.conf")
	if err := os.WriteFile(p, []byte("theirs"), 0o644); err != nil {
		t.Fatal(err)
	}
	tmp, err := Temp(p, ".tmp-", []byte("ours"), own)
	if err != nil {
		t.Fatal(err)
	}
	if err := Link(tmp, p); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Link over an existing file: %v, want fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "theirs" {
		t.Fatalf("existing file changed to %q", b)
	}
}

func TestRemoveMissingIsFine(t *testing.T) {
	if err := Remove(filepath.Join(t.TempDir(), "none")); err != nil {
		t.Fatal(err)
	}
}

func TestSame(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := Write(p, []byte("a"), own); err != nil {
		t.Fatal(err)
	}
	c, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	mine := Attrs{Mode: 0o640, UID: os.Geteuid(), GID: c.GID}
	tests := []struct {
		name string
		data string
		a    Attrs
		want bool
	}{
		{"same", "a", mine, true},
		{"other bytes", "b", mine, false},
		{"other mode", "a", Attrs{Mode: 0o644, UID: mine.UID, GID: mine.GID}, false},
		{"other owner", "a", Attrs{Mode: 0o640, UID: mine.UID + 1, GID: mine.GID}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Same([]byte(tt.data), tt.a); got != tt.want {
				t.Fatalf("Same = %v, want %v", got, tt.want)
			}
		})
	}
	if (Current{}).Same(nil, mine) {
		t.Fatal("a missing file is the same as an empty one")
	}
}
