// Package backoff holds the jittered, capped exponential backoff every
// retry loop in confwatch uses, and a context-aware sleep.
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
	cur      time.Duration
}

// Next returns the next wait.
func (b *Backoff) Next() time.Duration {
	if b.cur == 0 {
		b.cur = b.Min
	} else if b.cur *= 2; b.cur > b.Max {
		b.cur = b.Max
	}
	return b.cur/2 + rand.N(b.cur/2+1)
}

// Reset starts again from Min.
func (b *Backoff) Reset() { b.cur = 0 }

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
