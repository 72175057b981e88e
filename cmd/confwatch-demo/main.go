// Command confwatch-demo shows the whole confwatch loop live on one machine,
// with nothing to install: an embedded etcd, three backend HTTP servers each
// registered by the code behind `confwatch register`, and the agent behind
// `confwatch run` rendering an nginx upstream and reloading a private nginx
// (when one is installed). Every --interval a backend stops or starts, and
// the demo prints what followed: the key change, the new upstream, the check
// and the reload with their durations, and answers through nginx.
//
// Everything lives in one temporary directory, removed at exit; Ctrl-C
// (SIGINT, SIGTERM, or SIGHUP when the terminal closes) stops every server
// and process the demo started. With --ci the demo runs a fixed schedule
// without colors and exits non-zero unless it saw a backend leave the
// upstream and come back (and, with nginx, every backend answer through it).
// It is `make demo` and `make demo-ci`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // setup or cleanup failed, or --ci saw too little
	exitUsage  = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the command-line flags.
type options struct {
	ci       bool
	duration time.Duration // 0: until ctx ends
	interval time.Duration // between backend stop/start events
	port     int           // nginx port; 0: a free one
	keep     bool          // keep the temporary directory
	nginx    string        // nginx binary; "": search; "off": none
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flagSet(&o)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case o.interval <= 0:
		return o, fmt.Errorf("--interval %s: want a positive duration", o.interval)
	case o.duration < 0:
		return o, fmt.Errorf("--duration %s: want 0 or a positive duration", o.duration)
	case o.port < 0 || o.port > 65535:
		return o, fmt.Errorf("--port %d: want 0 to 65535", o.port)
	}
	return o, nil
}

// flagSet defines the flags into o; the README's table of them is generated
// from it (TestReadmeListsTheFlags).
func flagSet(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("confwatch-demo", flag.ContinueOnError)
	fs.BoolVar(&o.ci, "ci", false, "non-interactive: no colors, fixed schedule, exit non-zero unless a backend was seen to leave and come back")
	fs.DurationVar(&o.duration, "duration", 0, "how long to run after start-up (0: until Ctrl-C)")
	fs.DurationVar(&o.interval, "interval", 4*time.Second, "time between backend stop/start events")
	fs.IntVar(&o.port, "port", 0, "nginx port on 127.0.0.1 (0: a free one)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory and print where it is")
	fs.StringVar(&o.nginx, "nginx", "", `nginx binary (default: from PATH or /usr/sbin/nginx; "off": render the upstream only)`)
	return fs
}

// run is the whole program: it returns when ctx ends or --duration passed,
// after stopping everything it started.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "confwatch-demo: %v\n", err)
		return exitUsage
	}
	d := &demo{o: o, out: newPrinter(stdout, !o.ci && colorful(stdout))}
	code := exitOK
	if err := d.start(ctx); err != nil {
		if ctx.Err() == nil {
			fmt.Fprintf(stderr, "confwatch-demo: %v\n", err)
		}
		code = exitFailed
	} else {
		code = d.loop(ctx)
	}
	if err := d.close(); err != nil {
		fmt.Fprintf(stderr, "confwatch-demo: cleanup: %v\n", err)
		code = exitFailed
	}
	return code
}

// colorful reports whether w is a terminal that wants colors.
func colorful(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
