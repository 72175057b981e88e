package metrics

import "github.com/prometheus/client_golang/prometheus"

var (
	descEtcdUp   = prometheus.NewDesc("confwatch_etcd_up", "1 when etcd answers reads.", nil, nil)
	descRevision = prometheus.NewDesc("confwatch_applied_revision", "etcd revision of the newest applied render.", nil, nil)
	descReady    = prometheus.NewDesc("confwatch_ready", "1 when every resource is where ready_when wants it.", nil, nil)
	descLastOK   = prometheus.NewDesc("confwatch_last_applied_timestamp_seconds",
		"When a resource was last found or made up to date.", []string{"resource"}, nil)
)

// gauges is a prometheus.Collector of the gauges, read from a Report at
// scrape time (as node_exporter's collectors read /proc).
type gauges struct{ report func() Report }

func (gauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- descEtcdUp
	ch <- descRevision
	ch <- descReady
	ch <- descLastOK
}

func (g gauges) Collect(ch chan<- prometheus.Metric) {
	r := g.report()
	ch <- prometheus.MustNewConstMetric(descEtcdUp, prometheus.GaugeValue, b2f(r.EtcdUp))
	ch <- prometheus.MustNewConstMetric(descRevision, prometheus.GaugeValue, float64(r.Revision))
	ch <- prometheus.MustNewConstMetric(descReady, prometheus.GaugeValue, b2f(r.Ready))
	for name, at := range r.LastOK {
		ch <- prometheus.MustNewConstMetric(descLastOK, prometheus.GaugeValue, float64(at.UnixNano())/1e9, name)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
