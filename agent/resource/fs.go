package resource

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/confwatch/confwatch/agent/diag"
)

// FSProblems checks what r needs from the file system, for `check`: that
// dest's directory exists, is a directory and is writable (a src that cannot
// be read is reported by its parse, engine.New). Each problem names r's file. With destWarn (rendering from mock data, say in
// a config repository's CI, where the dests do not exist), dest problems are
// warnings.
func (r *Resource) FSProblems(destWarn bool) diag.List {
	var out diag.List
	dir := filepath.Dir(r.Dest)
	dest := func(msg string) {
		out = append(out, diag.Problem{File: r.File, Msg: msg, Warning: destWarn})
	}
	if fi, err := os.Stat(dir); err != nil {
		dest(fmt.Sprintf("dest directory %s: %v", dir, err))
	} else if !fi.IsDir() {
		dest(fmt.Sprintf("dest directory %s is not a directory", dir))
	} else if err := syscall.Access(dir, 2|1); err != nil {
		dest(fmt.Sprintf("dest directory %s is not writable: %v", dir, err))
	}
	return out
}
