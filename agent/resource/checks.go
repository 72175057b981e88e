package resource

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
)

// utf8BOM is what some editors put at the start of a UTF-8 file. TOML
// allows it; the resource's text is read without it.
var utf8BOM = []byte("\xef\xbb\xbf")

func stripBOM(data []byte) []byte { return bytes.TrimPrefix(data, utf8BOM) }

// maxID is the largest uid or gid a file can be given: (uid_t)-1 means
// "leave unchanged" to chown, and a larger number wraps.
const maxID = 1<<32 - 2

// destProblem says what is wrong with an absolute dest, or "". A trailing
// slash names a directory; a ".." element is refused because the kernel
// resolves it after the directory before it (which may be missing, or a
// link), so it is not the file the lexically cleaned path names.
func destProblem(dest string) string {
	switch {
	case strings.HasSuffix(dest, "/"):
		return fmt.Sprintf("dest = %q ends in /: name a file", dest)
	case hasDotDot(dest):
		return fmt.Sprintf("dest = %q has a .. element: write the path it means", dest)
	}
	return ""
}

func hasDotDot(p string) bool {
	for _, e := range strings.Split(p, "/") {
		if e == ".." {
			return true
		}
	}
	return false
}

// cleanDest is dest as the file system names it once "//" and "/./" are
// gone, so that two spellings of one file are seen as one dest.
func cleanDest(dest string) string {
	if dest == "" {
		return ""
	}
	return filepath.Clean(dest)
}

// keyProblem says what is wrong with keys[i], or "", and whether it is only
// a warning. "" would read the whole keyspace: an error. A key without a
// leading / means the same to confd as with one (path.Join puts it there),
// so a confd tree keeps working: a warning.
func keyProblem(i int, k string) (msg string, warn bool) {
	switch {
	case k == "":
		return fmt.Sprintf("keys[%d] is empty: it would read the whole keyspace (write \"/\" if that is meant)", i), false
	case !strings.HasPrefix(k, "/"):
		return fmt.Sprintf("keys[%d] = %q does not start with /: it is read as %q; write that", i, k, "/"+k), true
	}
	return "", false
}

// idProblem checks a uid or gid key.
func idProblem(name string, id *int) string {
	if id != nil && (*id < 0 || *id > maxID) {
		return fmt.Sprintf("%s = %d: want 0 to %d", name, *id, maxID)
	}
	return ""
}
