package history

import (
	"crypto/sha256"
	"fmt"
	"sort"
	"time"

	"github.com/confwatch/confwatch/agent/kv"
)

// Observation is one content seen, and when it was first seen.
type Observation struct {
	At   time.Time
	Data []byte
}

// Index maps every content some revision renders to those revisions.
type Index struct {
	revs     map[[32]byte][]int64 // ascending
	at       map[int64]time.Time
	order    []int64 // every revision, ascending
	final    []byte
	finalRev int64
}

// NewIndex renders every revision of h. A revision that does not render is
// an error: the agent would not have written anything for it either, and
// the checker could not tell its absence from a skipped state.
func NewIndex(h History, r Renderer) (*Index, error) {
	ix := &Index{revs: map[[32]byte][]int64{}, at: map[int64]time.Time{}}
	err := h.Replay(func(rev int64, at time.Time, t *kv.Tree) error {
		b, err := r(t)
		if err != nil {
			return err
		}
		s := sha256.Sum256(b)
		ix.revs[s] = append(ix.revs[s], rev)
		ix.at[rev] = at
		ix.order = append(ix.order, rev)
		ix.final, ix.finalRev = b, rev
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("render the history: %w", err)
	}
	return ix, nil
}

// States is how many revisions (states) were rendered.
func (ix *Index) States() int { return len(ix.order) }

// Final is the render of the last state, and its revision.
func (ix *Index) Final() ([]byte, int64) { return ix.final, ix.finalRev }

// Match is an observation and the oldest revision it can stand for, given
// the observations before it.
type Match struct {
	Observation
	Rev int64
}

// Violation is an observation no revision explains.
type Violation struct {
	Observation
	Kind  string  // "never existed" or "went backwards"
	After int64   // the revision matched before it
	Revs  []int64 // for "went backwards": the revisions it renders
}

func (v Violation) String() string {
	if v.Kind == "went backwards" {
		return fmt.Sprintf("%s at %s: renders revisions %v, after revision %d was shown", v.Kind,
			v.At.Format("15:04:05.000"), v.Revs, v.After)
	}
	return fmt.Sprintf("%s at %s (after revision %d): %q", v.Kind, v.At.Format("15:04:05.000"), v.After, excerpt(v.Data))
}

func excerpt(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

// Check matches obs, in order, to revisions that never go backwards: each
// observation gets the oldest revision at or after the previous match that
// renders to it (the greedy choice leaves the most room to the ones after).
// An observation with no such revision is a violation, and does not move
// the position. No backwards step is excused, not even right after an agent
// restart: a start finishes an interrupted apply instead of undoing it.
func (ix *Index) Check(obs []Observation) (ms []Match, vs []Violation) {
	var pos int64
	for _, o := range obs {
		revs := ix.revs[sha256.Sum256(o.Data)]
		i := sort.Search(len(revs), func(i int) bool { return revs[i] >= pos })
		switch {
		case len(revs) == 0:
			vs = append(vs, Violation{Observation: o, Kind: "never existed", After: pos})
		case i < len(revs):
			pos = revs[i]
			ms = append(ms, Match{Observation: o, Rev: pos})
		default:
			vs = append(vs, Violation{Observation: o, Kind: "went backwards", After: pos, Revs: revs})
		}
	}
	return ms, vs
}
