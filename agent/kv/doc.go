// Package kv holds the key/value data templates render from: a sorted Tree of
// etcd keys owned by one goroutine, and the read-only Store view that confd's
// template functions (get, gets, getv, getvs, ls, lsdir, exists) are built on.
//
// Keys are absolute, "/"-separated paths, as confd's memkv stores them.
package kv
