// Package watch is the agent's main loop: a list+watch cache of every etcd
// directory the resources read, and a scheduler that renders and applies
// each reload group when its data changed, coalescing bursts without ever
// dropping the final state.
//
// One goroutine owns the cache and the scheduler (Loop.Run); each directory
// has a watcher goroutine feeding it, and each reload group an apply worker.
// Rendering happens on the loop goroutine from the live trees, so no copy of
// the data is made per change; applying (check, swap, reload) happens on the
// group's worker, so a slow reload never stalls the cache.
package watch
