// Command benchrun is `make bench`: it starts a real etcd (data on tmpfs) and
// the real confwatch agent as child processes, measures put-to-file latency,
// CPU, memory, first render, burst coalescing and nginx -t checks at several
// key counts, runs the render-path Go micro-benchmarks, and writes the tables
// to a Markdown file.
//
//	go run ./bench/cmd/benchrun -out docs/BENCHMARKS.md
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

// options are benchrun's flags.
type options struct {
	out          string
	sizes        []int
	changes      int
	changesLarge int
	nginxSizes   []int
	nginxChanges int
	burstKeys    int
	burstPuts    int
	etcd         string
	tmpfs        string
	keep         bool
	perf         bool
	agentEnv     []string
	micro        bool
	benchtime    string
	e2eSizes     []int
	e2eChanges   int
	peer         string
	hold         bool
	firstSystemd bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return 2
	}
	h, err := newHarness(ctx, o, args, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "benchrun:", err)
		return 1
	}
	defer h.close()
	if err := h.runAll(ctx); err != nil {
		fmt.Fprintln(stderr, "benchrun:", err)
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	var sizes, nginxSizes, e2eSizes string
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.out, "out", "", "write the Markdown report to `FILE` (default: stdout)")
	fs.StringVar(&sizes, "sizes", "0,1000,10000,100000", "key counts preloaded under the prefix")
	fs.IntVar(&o.changes, "changes", 200, "measured changes per size (puts and deletes, alternating)")
	fs.IntVar(&o.changesLarge, "changes-large", 100, "measured changes at 100,000 keys and more")
	fs.StringVar(&nginxSizes, "nginx-sizes", "1000,10000", "key counts for the nginx -t check_cmd section")
	fs.IntVar(&o.nginxChanges, "nginx-changes", 100, "measured changes per nginx size")
	fs.IntVar(&o.burstKeys, "burst-keys", 1000, "key count preloaded for the burst section")
	fs.IntVar(&o.burstPuts, "burst-puts", 500, "puts in the one-second burst (0: no burst section)")
	fs.StringVar(&o.etcd, "etcd", "auto", "etcd `BINARY`, \"auto\" (/usr/bin/etcd, PATH, else embedded) or \"embedded\"")
	fs.StringVar(&o.tmpfs, "tmpfs", "/dev/shm", "tmpfs `DIR` for etcd's data and the agent's files")
	fs.BoolVar(&o.keep, "keep", false, "keep the work directory (logs, confdirs)")
	fs.BoolVar(&o.perf, "perf", false, "record the agent with `perf record -g` during each run's changes (implies -keep)")
	fs.Func("agent-env", "add `KEY=VALUE` to the agent's environment (repeatable; e.g. GOGC=200)", func(v string) error {
		if !strings.Contains(v, "=") {
			return fmt.Errorf("want KEY=VALUE, got %q", v)
		}
		o.agentEnv = append(o.agentEnv, v)
		return nil
	})
	fs.StringVar(&e2eSizes, "e2e-sizes", "10,1000,10000", "backend counts for the put → first request through nginx section")
	fs.IntVar(&o.e2eChanges, "e2e-changes", 40, "measured changes per size and agent in that section")
	fs.StringVar(&o.peer, "peer", "", "also run that section with `BINARY` on confd's command line (confd, its fork; `CONFD=` in make bench)")
	fs.BoolVar(&o.firstSystemd, "first-systemd", true, "run section 6b, put → first answer under a real systemd, at -e2e-sizes (root only)")
	fs.BoolVar(&o.hold, "hold", true, "run the reload hold's e2e test under a real systemd (root only)")
	fs.BoolVar(&o.micro, "micro", true, "also run the Go micro-benchmarks of the render path")
	fs.StringVar(&o.benchtime, "benchtime", "500ms", "-benchtime of the micro-benchmarks")
	if err := fs.Parse(args[1:]); err != nil {
		return o, err
	}
	o.keep = o.keep || o.perf
	var err error
	if o.sizes, err = ints(sizes); err == nil {
		o.nginxSizes, err = ints(nginxSizes)
	}
	if err == nil {
		o.e2eSizes, err = ints(e2eSizes)
	}
	if err != nil {
		fmt.Fprintln(stderr, "benchrun:", err)
	}
	return o, err
}

// ints parses a comma-separated list of non-negative integers.
func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad number %q in %q", f, s)
		}
		out = append(out, n)
	}
	return out, nil
}
