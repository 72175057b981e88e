package apply

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRecoverGroup: what Recover does with the files an apply of a two-file
// group left, for each point a kill can land (the files are laid out as the
// apply leaves them). A group with any file kept unchecked is put back whole;
// one whose files are all checked stays, pending its reload; a file kept but
// not yet swapped needs nothing.
func TestRecoverGroup(t *testing.T) {
	type file struct{ dest, kept, kind string } // kind: "prev", "held" or "" (none); kept "-" for the absent marker
	for _, tc := range []struct {
		name              string
		a, b              file
		wantA, wantB      string // "-": no file
		restored, pending int
	}{
		{"both swapped, reload pending", file{"a2", "a1", "held"}, file{"b2", "b1", "held"}, "a2", "b2", 0, 2},
		{"killed relabelling after the in-place check", file{"a2", "a1", "held"}, file{"b2", "b1", "prev"}, "a1", "b1", 2, 0},
		{"killed during the in-place check", file{"a2", "a1", "prev"}, file{"b2", "b1", "prev"}, "a1", "b1", 2, 0},
		{"killed mid-swap, reload pending", file{"a2", "a1", "held"}, file{"b1", "b1", "held"}, "a2", "b1", 0, 1},
		{"killed mid-swap, check pending", file{"a2", "a1", "prev"}, file{"b1", "b1", "prev"}, "a1", "b1", 1, 0},
		{"new file, reload pending", file{"a2", "-", "held"}, file{"b1", "", ""}, "a2", "b1", 0, 1},
		{"new file, check pending", file{"a2", "-", "prev"}, file{"b1", "", ""}, "-", "b1", 1, 0},
		{"new file not yet swapped", file{"-", "-", "held"}, file{"b1", "", ""}, "-", "b1", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			paths := map[string]string{"a": filepath.Join(dir, "a.conf"), "b": filepath.Join(dir, "b.conf")}
			lay := func(dest string, f file) {
				if f.dest != "-" {
					must(t, os.WriteFile(dest, []byte(f.dest), 0o644))
				}
				switch {
				case f.kind == "":
				case f.kept == "-":
					suffix := map[string]string{"prev": keepNames[unchecked][1], "held": keepNames[unreloaded][1]}[f.kind]
					must(t, os.WriteFile(hidden(dest, suffix), nil, 0o600))
				default:
					suffix := map[string]string{"prev": keepNames[unchecked][0], "held": keepNames[unreloaded][0]}[f.kind]
					must(t, os.WriteFile(hidden(dest, suffix), []byte(f.kept), 0o644))
				}
			}
			lay(paths["a"], tc.a)
			lay(paths["b"], tc.b)
			must(t, os.WriteFile(hidden(paths["a"], ".confwatch-123"), []byte("staged"), 0o600))
			rec, err := Recover([]string{paths["a"], paths["b"]})
			if err != nil || len(rec.Restored) != tc.restored || len(rec.Pending) != tc.pending {
				t.Fatalf("Recover = %+v, %v; want %d restored, %d pending", rec, err, tc.restored, tc.pending)
			}
			for n, want := range map[string]string{"a": tc.wantA, "b": tc.wantB} {
				got, err := os.ReadFile(paths[n])
				if want == "-" && !os.IsNotExist(err) || want != "-" && string(got) != want {
					t.Errorf("%s = %q, %v; want %q", n, got, err, want)
				}
			}
			var left []string
			for _, e := range entries(t, dir) {
				if strings.HasPrefix(e, ".") {
					left = append(left, e)
				}
			}
			if len(left) != tc.pending {
				t.Errorf("left beside the dests: %v; want only the %d kept for a pending reload", left, tc.pending)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
