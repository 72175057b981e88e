package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/register"
)

// servicePrefix is the etcd directory the backends register in and the
// template ranges over, as in the classic recipe.
const servicePrefix = "/services/apache/"

// Sidekick settings: a short TTL so a killed sidekick's key would not linger,
// and a health check every second.
const (
	sidekickTTL   = 5 * time.Second
	checkInterval = time.Second
)

// backend is one demo backend: an HTTP server on 127.0.0.1 answering
// "backend <port>", and its sidekick, register.Run keeping
// /services/apache/<addr> = <addr> while the server is healthy.
type backend struct {
	addr string
	port string
	log  *slog.Logger

	srv    *http.Server  // nil while stopped
	served chan struct{} // closed when srv.Serve returned

	stopSidekick context.CancelFunc
	sidekickDone chan struct{} // closed when register.Run returned
}

// newBackend reserves a port on 127.0.0.1 and starts serving on it.
func newBackend(log *slog.Logger) (*backend, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("backend: %w", err)
	}
	b := &backend{addr: ln.Addr().String()}
	_, b.port, _ = net.SplitHostPort(b.addr)
	b.log = log.With("backend", b.addr)
	b.serve(ln)
	return b, nil
}

func (b *backend) key() string { return servicePrefix + b.addr }

// up reports whether the backend runs.
func (b *backend) up() bool { return b.srv != nil }

// start starts the server on its port, then its sidekick, which checks it
// and registers it: the realistic order of `systemctl start apache@PORT`.
func (b *backend) start(ctx context.Context, cli *clientv3.Client) error {
	if b.srv == nil {
		ln, err := net.Listen("tcp", b.addr)
		if err != nil {
			return fmt.Errorf("backend %s: %w", b.addr, err)
		}
		b.serve(ln)
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	b.stopSidekick, b.sidekickDone = cancel, make(chan struct{})
	opts := register.Options{Key: b.key(), Value: b.addr, TTL: sidekickTTL,
		Check: register.HTTPCheck{URL: "http://" + b.addr + "/"}, Interval: checkInterval,
		Rise: 2, Fall: 2, Log: b.log.With("component", "sidekick")}
	go func() {
		defer close(b.sidekickDone)
		if err := register.Run(sctx, cli, opts); err != nil {
			b.log.Error("sidekick stopped", "err", err)
		}
	}()
	return nil
}

func (b *backend) serve(ln net.Listener) {
	body := "backend " + b.port + "\n"
	b.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, body) })}
	b.served = make(chan struct{})
	go func(srv *http.Server, done chan struct{}) {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			b.log.Error("serve", "err", err)
		}
	}(b.srv, b.served)
}

// stop stops the sidekick first (it revokes its lease: the key is gone at
// once), then the server, letting requests in flight finish for up to 2s.
func (b *backend) stop() error {
	if b.stopSidekick != nil {
		b.stopSidekick()
		<-b.sidekickDone
		b.stopSidekick = nil
	}
	if b.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := b.srv.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, b.srv.Close())
	}
	<-b.served
	b.srv = nil
	if err != nil {
		return fmt.Errorf("backend %s: %w", b.addr, err)
	}
	return nil
}
