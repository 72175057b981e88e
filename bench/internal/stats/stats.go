// Package stats summarises latency samples.
package stats

import (
	"slices"
	"time"
)

// Summary is the distribution of a set of durations.
type Summary struct {
	N                  int
	P50, P95, P99, Max time.Duration
	Mean               time.Duration
}

// Summarize returns the nearest-rank percentiles of ds (which it does not
// modify). An empty input gives a zero Summary.
func Summarize(ds []time.Duration) Summary {
	if len(ds) == 0 {
		return Summary{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return Summary{N: len(s), P50: Percentile(s, 50), P95: Percentile(s, 95), P99: Percentile(s, 99),
		Max: s[len(s)-1], Mean: sum / time.Duration(len(s))}
}

// Percentile returns the nearest-rank p-th percentile of sorted (0 < p <= 100).
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted)) + 0.999999)
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// Ms formats d in milliseconds with two decimals, for tables.
func Ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
