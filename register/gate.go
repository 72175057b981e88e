package register

// Gate debounces check results into a health state. It is pure: no clock,
// no IO.
//
// The first result is taken as it is, so a backend that passes its first
// check is registered at once and one that fails it stays unregistered.
// After that, Rise consecutive passes make an unhealthy gate healthy and Fall
// consecutive failures make a healthy gate unhealthy; a contrary result
// restarts the count. Rise or Fall below 1 count as 1. The zero Gate (with
// Rise and Fall set) has seen no result.
type Gate struct {
	Rise, Fall int

	seen    bool // a first result was observed
	healthy bool
	streak  int // consecutive results contradicting healthy
}

// Observe records one result and returns the health after it and whether it
// changed (always true for the first result).
func (g *Gate) Observe(pass bool) (healthy, changed bool) {
	if !g.seen {
		g.seen, g.healthy, g.streak = true, pass, 0
		return pass, true
	}
	if pass == g.healthy {
		g.streak = 0
		return g.healthy, false
	}
	g.streak++
	need := g.Fall
	if pass {
		need = g.Rise
	}
	if g.streak < max(need, 1) {
		return g.healthy, false
	}
	g.healthy, g.streak = pass, 0
	return g.healthy, true
}

// Healthy reports the current state (false before the first result).
func (g *Gate) Healthy() bool { return g.healthy }

// Seen reports whether a result has been observed.
func (g *Gate) Seen() bool { return g.seen }
