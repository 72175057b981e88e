package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// holdMetrics are the reload hold's (max_draining): fed from the loop's
// Hooks.Held as holds begin, change and end.
type holdMetrics struct {
	draining *prometheus.GaugeVec
	held     *prometheus.GaugeVec
	seconds  *prometheus.CounterVec
	expired  *prometheus.CounterVec
}

func newHoldMetrics() holdMetrics {
	return holdMetrics{
		draining: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "confwatch_reload_draining_generations",
			Help: "Old worker generations of the group's reload_unit still draining, at the last look of the reload hold."}, []string{"group"}),
		held: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "confwatch_reload_held",
			Help: "1 while the group's reload is held because more than max_draining generations drain."}, []string{"group"}),
		seconds: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "confwatch_reload_held_seconds_total",
			Help: "Time reloads were held by max_draining, counted when each hold ends."}, []string{"group"}),
		expired: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "confwatch_reload_holds_expired_total",
			Help: "Holds that reached max_hold, after which the reload went ahead with the workers still draining."}, []string{"group"}),
	}
}

func (h holdMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{h.draining, h.held, h.seconds, h.expired}
}

// Held records a hold change of group: while held (active), or its end
// after lasting took, expired when max_hold ended it.
func (m *Metrics) Held(group string, draining int, active bool, took time.Duration, expired bool) {
	m.hold.draining.WithLabelValues(group).Set(float64(draining))
	if active {
		m.hold.held.WithLabelValues(group).Set(1)
		return
	}
	m.hold.held.WithLabelValues(group).Set(0)
	m.hold.seconds.WithLabelValues(group).Add(took.Seconds())
	if expired {
		m.hold.expired.WithLabelValues(group).Inc()
	}
}
