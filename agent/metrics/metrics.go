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
)

// Metrics are the agent's Prometheus metrics, on a registry of their own.
type Metrics struct {
	reg        *prometheus.Registry
	results    *prometheus.CounterVec
	applyTime  *prometheus.HistogramVec
	reloads    *prometheus.CounterVec
	etcdUp     prometheus.Gauge
	revision   prometheus.Gauge
	ready      prometheus.Gauge
	changes    prometheus.Counter
	lastApply  *prometheus.GaugeVec
	mu         sync.Mutex
	health     string
	healthy    bool
	lastTick   time.Time
	staleAfter time.Duration
}

// New registers every metric.
func New(staleAfter time.Duration) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), staleAfter: staleAfter,
		results: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "confwatch_resource_syncs_total",
			Help: "Syncs of a template resource by outcome (applied, unchanged, refused, failed, would-change)."}, []string{"resource", "result"}),
		applyTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "confwatch_transaction_seconds",
			Help: "Time of one transaction (check, swap, reload) of a reload group.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)}, []string{"group"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "confwatch_reloads_total",
			Help: "Reloads by outcome (ok, rolled_back)."}, []string{"group", "result"}),
		etcdUp:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "confwatch_etcd_up", Help: "1 when etcd answers reads."}),
		revision: prometheus.NewGauge(prometheus.GaugeOpts{Name: "confwatch_applied_revision", Help: "etcd revision of the newest applied render."}),
		ready:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "confwatch_ready", Help: "1 when every resource is where ready_when wants it."}),
		changes:  prometheus.NewCounter(prometheus.CounterOpts{Name: "confwatch_watch_changes_total", Help: "Watch responses that changed the cache."}),
		lastApply: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "confwatch_last_applied_timestamp_seconds",
			Help: "When a resource was last found or made up to date."}, []string{"resource"}),
	}
	m.reg.MustRegister(m.results, m.applyTime, m.reloads, m.etcdUp, m.revision, m.ready, m.changes, m.lastApply,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Applied records one transaction.
func (m *Metrics) Applied(group string, sts []engine.Result, took time.Duration) {
	m.applyTime.WithLabelValues(group).Observe(took.Seconds())
	reloaded, rolled := false, false
	for _, s := range sts {
		m.results.WithLabelValues(s.Name, string(s.Outcome)).Inc()
		if s.OK() {
			m.lastApply.WithLabelValues(s.Name).SetToCurrentTime()
			if float64(s.Revision) > 0 {
				m.revision.Set(float64(s.Revision))
			}
		}
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

// Etcd records reachability.
func (m *Metrics) Etcd(up bool) { m.etcdUp.Set(b2f(up)) }

// Tick records that the loop is alive, with the current status.
func (m *Metrics) Tick(ready bool, line string) {
	m.ready.Set(b2f(ready))
	m.mu.Lock()
	m.lastTick, m.healthy, m.health = time.Now(), ready, line
	m.mu.Unlock()
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Handler serves /metrics and /healthz.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		m.mu.Lock()
		ok := m.healthy && time.Since(m.lastTick) < m.staleAfter
		line, tick := m.health, m.lastTick
		m.mu.Unlock()
		if !ok {
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
