// Package metrics exposes the agent's state over HTTP: Prometheus metrics at
// /metrics and a health check at /healthz (200 when the loop is alive and
// every resource is where ready_when wants it, 503 otherwise, with the status
// line as the body).
package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/confwatch/confwatch/agent/engine"
	"github.com/confwatch/confwatch/agent/status"
)

// Report is how the agent is doing at one moment: what /healthz and the
// gauges of /metrics show, read from the agent's record (package status) at
// each request, so metrics keep no record of their own.
type Report struct {
	Ready    bool      // systemd was told READY=1
	Line     string    // the STATUS= line
	Tick     time.Time // the loop's latest tick (zero: none yet)
	EtcdUp   bool
	Revision int64                // etcd revision of the newest render up to date
	LastOK   map[string]time.Time // per resource: when last found or made up to date
	// The detailed view (/readyz): every resource and etcd's state.
	Resources []status.ResourceDetail
	Etcd      status.EtcdDetail
}

// Metrics are the agent's Prometheus metrics, on a registry of their own:
// counters of what happened, fed as it happens, and gauges collected from
// Report at scrape time.
type Metrics struct {
	reg        *prometheus.Registry
	results    *prometheus.CounterVec
	applyTime  *prometheus.HistogramVec
	reloads    *prometheus.CounterVec
	changes    prometheus.Counter
	hold       holdMetrics
	report     func() Report
	staleAfter time.Duration
}

// New registers every metric. report is called at each scrape and health
// check, from the HTTP server's goroutines; /healthz fails once the loop has
// not ticked for staleAfter.
func New(staleAfter time.Duration, report func() Report) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), staleAfter: staleAfter, report: report,
		results: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "confwatch_resource_syncs_total",
			Help: "Syncs of a template resource by outcome (applied, unchanged, refused, failed, would-change)."}, []string{"resource", "result"}),
		applyTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "confwatch_transaction_seconds",
			Help: "Time of one transaction (check, swap, reload) of a reload group.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)}, []string{"group"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "confwatch_reloads_total",
			Help: "Reloads by outcome (ok, rolled_back)."}, []string{"group", "result"}),
		changes: prometheus.NewCounter(prometheus.CounterOpts{Name: "confwatch_watch_changes_total", Help: "Watch responses that changed the cache."}),
		hold:    newHoldMetrics(),
	}
	m.reg.MustRegister(m.hold.collectors()...)
	m.reg.MustRegister(m.results, m.applyTime, m.reloads, m.changes, gauges{report},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Applied counts one transaction.
func (m *Metrics) Applied(group string, sts []engine.Result, took time.Duration) {
	m.applyTime.WithLabelValues(group).Observe(took.Seconds())
	reloaded, rolled := false, false
	for _, s := range sts {
		m.results.WithLabelValues(s.Name, string(s.Outcome)).Inc()
		reloaded, rolled = reloaded || s.Reloaded, rolled || s.RolledBack
	}
	switch {
	case rolled:
		m.reloads.WithLabelValues(group, "rolled_back").Inc()
	case reloaded:
		m.reloads.WithLabelValues(group, "ok").Inc()
	}
}

// Changed counts a cache change.
func (m *Metrics) Changed() { m.changes.Inc() }

// Handler serves /metrics, /healthz (the STATUS= line; 200 when ready and the
// loop alive, else 503) and /readyz (the same verdict with a JSON body: see
// Detail; also /healthz?verbose).
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) { m.serveDetail(w, m.report()) })
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, req *http.Request) {
		r := m.report()
		if req.URL.Query().Has("verbose") {
			m.serveDetail(w, r)
			return
		}
		line, tick := r.Line, r.Tick
		if !r.Ready || time.Since(tick) >= m.staleAfter {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		if time.Since(tick) >= m.staleAfter {
			line = fmt.Sprintf("loop silent for %s; %s", time.Since(tick).Round(time.Second), line)
		}
		fmt.Fprintln(w, line)
	})
	return mux
}

// Serve listens on addr until ctx ends, and returns once the server has shut down.
func (m *Metrics) Serve(ctx context.Context, addr string, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: m.Handler(), ReadHeaderTimeout: 5 * time.Second}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	log.Info("serving /metrics and /healthz", "addr", ln.Addr().String())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
