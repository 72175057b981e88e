// Package backoff holds the capped exponential backoff every retry loop in
// confwatch uses (jittered, or as plain steps of a failure count), and a
// context-aware sleep.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff yields waits from Min doubling to Max, each jittered to between half
// and all of its step, so that many clients retrying at once spread out. The
// zero value is not useful: set Min and Max.
type Backoff struct {
	Min, Max time.Duration
	n        int // steps taken since Reset, while below Max
}

// Next returns the next wait: Step(n) for the n-th call since Reset, jittered.
func (b *Backoff) Next() time.Duration {
	d := b.Step(b.n)
	if d < b.Max {
		b.n++
	}
	return d/2 + rand.N(d/2+1)
}

// Reset starts again from Min.
func (b *Backoff) Reset() { b.n = 0 }

// Step returns the n-th step (n from 0), without jitter: Min doubled n
// times, at most Max. It is for callers that count failures themselves and
// want a wait that is a pure function of the count.
func (b Backoff) Step(n int) time.Duration {
	d := b.Min
	for ; n > 0 && d > 0 && d < b.Max; n-- {
		d *= 2
	}
	return min(d, b.Max)
}

// Sleep waits d or until ctx ends; it reports whether d passed.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
