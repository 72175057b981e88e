// Package guard decides, without IO, whether a freshly rendered resource may
// replace the last good one: an empty read of a directory, or a directory
// whose key count collapses, is refused so the last good file stays in place.
package guard

import (
	"bytes"
	"errors"
	"fmt"
	"math"
)

// ErrRefused is wrapped by every refusal.
var ErrRefused = errors.New("refused by guard")

// Policy is a resource's guard settings.
type Policy struct {
	AllowEmpty bool    // allow_empty: render even when a directory has no keys (a drop to none is then no shrink)
	MaxShrink  float64 // max_shrink as a fraction; 1 disables the shrink guard
}

// Refusal says which directory tripped which guard, with the numbers.
type Refusal struct {
	Dir    string
	Before int // keys at the last applied render; -1 when unknown
	After  int
	Limit  float64
	Blank  bool // the output was empty or whitespace although Dir has After keys
}

// Error reads like the status line: "refused: /services/apache/ empty".
func (r *Refusal) Error() string {
	if r.Blank {
		return fmt.Sprintf("refused: render is empty although %s/ has %d keys (allow_empty = false)", trim(r.Dir), r.After)
	}
	if r.After == 0 {
		return fmt.Sprintf("refused: %s/ empty (allow_empty = false)", trim(r.Dir))
	}
	return fmt.Sprintf("refused: %s/ shrank from %d to %d keys (more than max_shrink = %g%%)",
		trim(r.Dir), r.Before, r.After, math.Round(r.Limit*1000)/10)
}

// Unwrap makes errors.Is(err, ErrRefused) true.
func (r *Refusal) Unwrap() error { return ErrRefused }

func trim(d string) string {
	if d == "/" {
		return ""
	}
	return d
}

// Check compares the key counts of each directory (cur) with those of the last
// applied render (prev, nil or shorter when unknown) and returns a *Refusal or
// nil. dirs, prev and cur are parallel. An empty directory is refused unless
// AllowEmpty; when allowed, a drop to empty is not held back by MaxShrink
// (the resource said it renders none, e.g. a 503 page for no backend).
func Check(p Policy, dirs []string, prev, cur []int) error {
	for i, d := range dirs {
		if cur[i] == 0 && !p.AllowEmpty {
			before := -1
			if i < len(prev) {
				before = prev[i]
			}
			return &Refusal{Dir: d, Before: before, After: 0}
		}
		if i >= len(prev) || prev[i] <= 0 || p.MaxShrink >= 1 || cur[i] == 0 {
			continue // (cur 0 here means allow_empty: an empty directory was asked for)
		}
		lost := float64(prev[i]-cur[i]) / float64(prev[i])
		if lost > p.MaxShrink+1e-9 {
			return &Refusal{Dir: d, Before: prev[i], After: cur[i], Limit: p.MaxShrink}
		}
	}
	return nil
}

// Blank refuses an output that is empty or only whitespace while a directory
// the resource reads holds keys (a typo in a gets pattern, say): it would
// replace a good file with nothing, so it is refused like an empty directory,
// unless AllowEmpty. dirs and cur are parallel.
func Blank(p Policy, dirs []string, cur []int, out []byte) error {
	if p.AllowEmpty || len(bytes.TrimSpace(out)) > 0 {
		return nil
	}
	for i, d := range dirs {
		if cur[i] > 0 {
			return &Refusal{Dir: d, Before: -1, After: cur[i], Blank: true}
		}
	}
	return nil
}
