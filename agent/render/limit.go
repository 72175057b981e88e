package render

import (
	"bytes"
	"errors"
	"fmt"
)

// DefaultMaxOutput bounds a render when the resource sets no max_output.
const DefaultMaxOutput = 64 << 20

// Bounds of the functions that make data out of a count, so that an etcd
// value (`seq 1 (atoi (getv "/n"))` with 3000000000) is a render error, not
// an out-of-memory crash.
const (
	MaxSeq    = 1 << 20          // elements seq returns
	MaxRepeat = DefaultMaxOutput // bytes repeat returns (and no more than max_output)
)

// ErrTooLarge is wrapped by the error of a render that exceeded its limit.
var ErrTooLarge = errors.New("render too large")

// limitWriter is a bytes.Buffer that refuses to grow past max: the write
// error stops template execution.
type limitWriter struct {
	buf bytes.Buffer
	max int64
}

func (w *limitWriter) Write(p []byte) (int, error) {
	if int64(w.buf.Len())+int64(len(p)) > w.max {
		return 0, fmt.Errorf("%w: output exceeds max_output = %s", ErrTooLarge, Size(w.max))
	}
	return w.buf.Write(p)
}

// Size formats a byte count as max_output is written: "64MiB", "512KiB",
// "100" (bytes).
func Size(n int64) string {
	for _, u := range []struct {
		s string
		v int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.v && n%u.v == 0 {
			return fmt.Sprintf("%d%s", n/u.v, u.s)
		}
	}
	return fmt.Sprint(n)
}
