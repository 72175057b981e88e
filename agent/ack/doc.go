// Package ack holds the drain barrier's announcements (issue 16): what a
// load balancer's agent has applied, per watched etcd directory, published
// under a lease of its own as one key PREFIX/NAME, and read back by
// `confwatch register` (to wait for every load balancer before its backend
// stops) and `confwatch status`.
//
// Record is the announcement and its JSON form; Book folds the engine's
// results into one (pure); Writer keeps it in etcd; List and Follow read it;
// Progress decides, from what is read, whom a stopping backend still waits for.
package ack
