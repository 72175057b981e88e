// Package bench holds confwatch's end-to-end benchmark harness: `make bench`
// runs ./bench/cmd/benchrun, which starts a real etcd and the real agent and
// writes docs/BENCHMARKS.md. Nothing here runs under `go test ./...` except
// small, fast unit tests of the harness's own helpers.
package bench
