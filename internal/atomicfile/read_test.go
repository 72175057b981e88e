package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestReadRefusesWhatIsNotARegularFile: a FIFO is refused without blocking
// (before: open blocked forever), a link to /dev/zero without reading it
// (before: out of memory), a directory by name.
func TestReadRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, zero, dir} {
		if _, err := Read(p); !errors.Is(err, ErrNotRegular) {
			t.Errorf("Read(%s) = %v, want ErrNotRegular", p, err)
		}
	}
	reg := filepath.Join(dir, "reg")
	if err := os.WriteFile(reg, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := Read(reg); err != nil || string(c.Data) != "x" || c.Mode != 0o600 {
		t.Errorf("Read(regular) = %+v, %v", c, err)
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	avail := filepath.Join(dir, "sites-available")
	enabled := filepath.Join(dir, "sites-enabled")
	for _, d := range []string{avail, enabled} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mk := func(target, link string) {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	mk("../sites-available/x", filepath.Join(enabled, "x"))
	mk(filepath.Join(enabled, "x"), filepath.Join(dir, "twice"))
	mk("loop", filepath.Join(dir, "loop"))
	tests := []struct {
		in, want string
		err      bool
	}{
		{filepath.Join(enabled, "x"), filepath.Join(avail, "x"), false}, // dangling: the target to create
		{filepath.Join(dir, "twice"), filepath.Join(avail, "x"), false},
		{filepath.Join(dir, "plain"), filepath.Join(dir, "plain"), false},
		{filepath.Join(dir, "loop"), "", true},
	}
	for _, tt := range tests {
		got, err := Resolve(tt.in)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("Resolve(%s) = %q, %v; want %q (error %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}
