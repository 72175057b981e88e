package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/agent/engine"
	"github.com/confwatch/confwatch/agent/etcd"
	"github.com/confwatch/confwatch/agent/resource"
	"github.com/confwatch/confwatch/agent/state"
	"github.com/confwatch/confwatch/agent/watch"
)

// upstreamTemplate is the classic template when there is no nginx to run:
// the upstream block alone.
const upstreamTemplate = `upstream apache_pool {
{{- range getvs "` + servicePrefix + `*" }}
    server {{ . }};
{{- end }}
}
`

// applied is one resource's status after a transaction of the agent.
type applied struct {
	st   engine.Result
	took time.Duration // the whole transaction
}

// agent is `confwatch run` in-process: the same resources, engine and watch
// loop, over a confd-style directory the demo writes.
type agent struct {
	res     []*resource.Resource
	state   *state.Store
	log     *slog.Logger
	applied chan applied // fed by the loop's Applied hook, never blocking it
	cancel  context.CancelFunc
	done    chan error
}

// writeConfdir writes confdir/conf.d/nginx.toml and templates/nginx.tmpl:
// one resource rendering tmpl to dest, with check and reload commands when
// they are not empty.
func writeConfdir(confdir, tmpl, dest, check, reload string) error {
	toml := fmt.Sprintf("[template]\nsrc = \"nginx.tmpl\"\ndest = %s\nkeys = [%s]\n",
		strconv.Quote(dest), strconv.Quote(servicePrefix[:len(servicePrefix)-1]))
	if check != "" {
		toml += fmt.Sprintf("check_cmd = %s\nreload_cmd = %s\n", strconv.Quote(check), strconv.Quote(reload))
	}
	for _, d := range []string{"conf.d", "templates"} {
		if err := os.MkdirAll(filepath.Join(confdir, d), 0o755); err != nil {
			return err
		}
	}
	return errors.Join(
		os.WriteFile(filepath.Join(confdir, "conf.d", "nginx.toml"), []byte(toml), 0o644),
		os.WriteFile(filepath.Join(confdir, "templates", "nginx.tmpl"), []byte(tmpl), 0o644))
}

// loadAgent loads the resources of confdir as `confwatch run` does.
func loadAgent(confdir string, log *slog.Logger) (*agent, error) {
	res, probs := resource.LoadAll(resource.Options{ConfDir: confdir})
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return &agent{res: res, state: &state.Store{}, log: log, applied: make(chan applied, 64)}, nil
}

// firstRender renders once from etcd and writes the file without check or
// reload (`confwatch render --sync-only`): nginx starts on its result.
func (a *agent) firstRender(ctx context.Context, cli *clientv3.Client) error {
	eng, probs := engine.New(a.res, engine.Options{Log: a.log, State: a.state, SyncOnly: true})
	if err := probs.Err(); err != nil {
		return err
	}
	snap, err := etcd.Read(ctx, cli, eng.Dirs())
	if err != nil {
		return err
	}
	for _, st := range eng.Sync(ctx, snap.Trees()) {
		if !st.OK() {
			return fmt.Errorf("first render: %s", st)
		}
	}
	return nil
}

// start runs the watch loop in the background until stop.
func (a *agent) start(ctx context.Context, cli *clientv3.Client) error {
	eng, probs := engine.New(a.res, engine.Options{Log: a.log, State: a.state})
	if err := probs.Err(); err != nil {
		return err
	}
	hooks := watch.Hooks{Applied: func(_ string, sts []engine.Result, took time.Duration) {
		for _, st := range sts {
			select {
			case a.applied <- applied{st, took}:
			default: // the demo is behind: drop rather than stall the agent
			}
		}
	}}
	loop := watch.New(watch.Options{Client: cli, Engine: eng, Log: a.log, Grace: 10 * time.Second, Hooks: hooks})
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.cancel, a.done = cancel, make(chan error, 1)
	go func() { a.done <- loop.Run(lctx) }()
	return nil
}

// stop ends the loop, letting a running apply finish; safe when not started.
func (a *agent) stop() error {
	if a == nil || a.cancel == nil {
		return nil
	}
	a.cancel()
	return <-a.done
}

var serverLine = regexp.MustCompile(`(?m)^\s*server\s+([^\s{;]+)\s*;`)

// upstream returns the servers of the upstream in the rendered file.
func upstream(file string) ([]string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range serverLine.FindAllStringSubmatch(string(b), -1) {
		out = append(out, m[1])
	}
	return out, nil
}
