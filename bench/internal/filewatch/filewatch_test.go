package filewatch

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWaitRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dest")
	w, err := New(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	go func() {
		tmp := filepath.Join(dir, ".stage")
		_ = os.WriteFile(tmp, []byte("old"), 0o644)
		_ = os.Rename(tmp, path)
		_ = os.WriteFile(tmp, []byte("new"), 0o644)
		_ = os.Rename(tmp, path)
	}()
	want := func(b []byte) bool { return bytes.Equal(b, []byte("new")) }
	if _, err := w.Wait(context.Background(), 10*time.Second, false, want); err != nil {
		t.Fatal(err)
	}
}
