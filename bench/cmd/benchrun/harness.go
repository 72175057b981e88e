package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"golang.org/x/sys/unix"

	"github.com/confwatch/confwatch/bench/internal/etcdproc"
	"github.com/confwatch/confwatch/bench/internal/machine"
)

// harness owns the work directory, the etcd process and the clients.
type harness struct {
	o       options
	args    []string
	log     io.Writer
	module  string
	work    string
	mounted bool // work is a tmpfs benchrun mounted
	bin     string
	etcd    *etcdproc.Server
	etcdLog *os.File
	cli     *clientv3.Client // puts and loads
	wcli    *clientv3.Client // the floor watcher
	loaded  int              // preloaded keys now under the prefix
	runs    int              // agent runs so far, for directory names
	changes int              // change keys used so far
	e2eKeys int              // section 6's backend keys used so far
	rep     report
}

func newHarness(ctx context.Context, o options, args []string, log io.Writer) (*harness, error) {
	h := &harness{o: o, args: args, log: log}
	h.rep.started = time.Now()
	mod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(mod)) == "" || strings.TrimSpace(string(mod)) == os.DevNull {
		return nil, fmt.Errorf("run from the confwatch module (go env GOMOD: %v)", err)
	}
	h.module = filepath.Dir(strings.TrimSpace(string(mod)))
	if err := h.makeWork(); err != nil {
		return nil, err
	}
	h.rep.machine = machine.Describe()
	h.rep.loadAt = machine.LoadAvg()
	h.rep.env = "PATH, HOME (defaults: GOGC, GOMAXPROCS unset)"
	if len(o.agentEnv) > 0 {
		h.rep.env = "PATH, HOME, " + strings.Join(o.agentEnv, " ")
	}
	if err := h.build(ctx); err != nil {
		h.close()
		return nil, err
	}
	if err := h.startEtcd(ctx); err != nil {
		h.close()
		return nil, err
	}
	return h, nil
}

// makeWork creates the work directory on tmpfs: under o.tmpfs when that is a
// tmpfs, else on a tmpfs mounted for the run when root, else on disk.
func (h *harness) makeWork() error {
	base := h.o.tmpfs
	if !machine.IsTmpfs(base) {
		base = os.TempDir()
	}
	w, err := os.MkdirTemp(base, "confwatch-bench-")
	if err != nil {
		return err
	}
	h.work = w
	switch {
	case machine.IsTmpfs(w):
		h.rep.storage = "tmpfs (" + h.o.tmpfs + ")"
	case os.Geteuid() == 0 && unix.Mount("tmpfs", w, "tmpfs", 0, "size=4g,mode=0700") == nil:
		h.mounted = true
		h.rep.storage = "tmpfs mounted by benchrun at " + w
	default:
		h.rep.storage = "NOT tmpfs: " + w + " (no tmpfs at " + h.o.tmpfs + ", not root)"
	}
	h.logf("work directory %s: %s", w, h.rep.storage)
	return nil
}

// build compiles the agent as `make build` would, without stripping.
func (h *harness) build(ctx context.Context) error {
	h.bin = filepath.Join(h.work, "confwatch")
	t0 := time.Now()
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", h.bin, "./cmd/confwatch")
	cmd.Dir, cmd.Stdout, cmd.Stderr = h.module, h.log, h.log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build confwatch: %w", err)
	}
	h.logf("built confwatch in %s", time.Since(t0).Round(time.Millisecond))
	return nil
}

func (h *harness) startEtcd(ctx context.Context) error {
	bin := h.o.etcd
	switch bin {
	case "auto":
		bin = etcdproc.FindBinary()
	case "embedded":
		bin = ""
	}
	var err error
	if h.etcdLog, err = os.Create(filepath.Join(h.work, "etcd.log")); err != nil {
		return err
	}
	h.etcd, err = etcdproc.Start(ctx, etcdproc.Options{DataDir: filepath.Join(h.work, "etcd"), Binary: bin,
		Module: h.module, BinDir: h.work, Log: h.etcdLog})
	if err != nil {
		return err
	}
	h.rep.etcd = fmt.Sprintf("%s, %s", h.etcd.Version, h.etcd.Kind)
	h.logf("etcd %s at %s", h.rep.etcd, h.etcd.Endpoint)
	if h.cli, err = h.etcd.Client(); err != nil {
		return err
	}
	h.wcli, err = h.etcd.Client()
	return err
}

func (h *harness) close() {
	for _, c := range []*clientv3.Client{h.cli, h.wcli} {
		if c != nil {
			_ = c.Close()
		}
	}
	if h.etcd != nil {
		h.etcd.Stop()
	}
	if h.etcdLog != nil {
		_ = h.etcdLog.Close()
	}
	if h.work == "" || h.o.keep {
		return
	}
	if h.mounted {
		if err := unix.Unmount(h.work, 0); err != nil {
			h.logf("unmount %s: %v", h.work, err)
			return
		}
	}
	if err := os.RemoveAll(h.work); err != nil {
		h.logf("remove %s: %v", h.work, err)
	}
}

func (h *harness) logf(format string, args ...any) {
	fmt.Fprintf(h.log, "benchrun: "+format+"\n", args...)
}

// load brings the preloaded keys under the prefix to n.
func (h *harness) load(ctx context.Context, n int) error {
	if n == h.loaded {
		return nil
	}
	t0 := time.Now()
	var err error
	if n > h.loaded {
		err = putAll(ctx, h.cli, addrs(0, h.loaded, n), false)
	} else {
		err = putAll(ctx, h.cli, addrs(0, n, h.loaded), true)
	}
	if err != nil {
		return err
	}
	h.logf("%d keys under %s/ (%s)", n, dir, time.Since(t0).Round(time.Millisecond))
	h.loaded = n
	return nil
}

// runAll loads each key count in ascending order and runs the sections
// asked for at it, then the micro-benchmarks, and writes the report.
func (h *harness) runAll(ctx context.Context) error {
	all := slices.Concat(h.o.sizes, h.o.nginxSizes, h.o.e2eSizes)
	if h.o.burstPuts > 0 {
		all = append(all, h.o.burstKeys)
	}
	slices.Sort(all)
	for _, n := range slices.Compact(all) {
		if err := h.load(ctx, n); err != nil {
			return err
		}
		if err := h.sections(ctx, n); err != nil {
			return err
		}
	}
	if h.o.firstSystemd {
		if err := h.firstAnswerSection(ctx); err != nil {
			return err
		}
	}
	if h.o.hold {
		if err := h.holdSection(ctx); err != nil {
			return err
		}
	}
	if h.o.micro {
		if err := h.micro(ctx); err != nil {
			return err
		}
	}
	return h.write()
}

// sections runs, at n preloaded keys, the sections configured for n.
func (h *harness) sections(ctx context.Context, n int) error {
	if slices.Contains(h.o.sizes, n) {
		if err := h.latencySection(ctx, n); err != nil {
			return fmt.Errorf("latency at %d keys: %w", n, err)
		}
	}
	if slices.Contains(h.o.nginxSizes, n) {
		if err := h.nginxSection(ctx, n); err != nil {
			return fmt.Errorf("nginx -t at %d keys: %w", n, err)
		}
	}
	if slices.Contains(h.o.e2eSizes, n) {
		if err := h.e2eSection(ctx, n); err != nil {
			return fmt.Errorf("put → first request at %d backends: %w", n, err)
		}
	}
	if n == h.o.burstKeys && h.o.burstPuts > 0 {
		for _, mri := range []string{"", "0", "250ms"} {
			if err := h.burstSection(ctx, n, mri); err != nil {
				return fmt.Errorf("burst at %d keys: %w", n, err)
			}
		}
	}
	return nil
}
