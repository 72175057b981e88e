package main

import (
	"runtime"
	"slices"
	"time"

	"github.com/confwatch/confwatch/agent/kv"
	"github.com/confwatch/confwatch/agent/render"
)

// templateExec times, in this process, agent/render executing text over the
// n preloaded keys: the median of up to 200 runs or one second of runs. It is the
// part of each change no agent design can avoid with text/template.
func templateExec(text string, n int) (time.Duration, error) {
	t, err := render.Parse("bench.tmpl", []byte(text))
	if err != nil {
		return 0, err
	}
	tree := kv.NewTree()
	pairs := make([]kv.Pair, n)
	for i, a := range addrs(0, 0, n) {
		pairs[i] = kv.Pair{Key: dir + "/" + a, Value: a}
	}
	tree.Reset(pairs)
	view := kv.View{Dirs: []kv.Dir{{Key: dir, Tree: tree}}}
	for range 2 { // warm the pool and the size hint
		if _, err := t.Execute(view); err != nil {
			return 0, err
		}
	}
	var ds []time.Duration
	for start := time.Now(); len(ds) < 5 || len(ds) < 200 && time.Since(start) < time.Second; {
		runtime.GC() // each run starts from the live heap, as in the agent
		t0 := time.Now()
		if _, err := t.Execute(view); err != nil {
			return 0, err
		}
		ds = append(ds, time.Since(t0))
	}
	slices.Sort(ds)
	return ds[len(ds)/2], nil
}
