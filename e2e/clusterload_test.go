package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confwatch/confwatch/internal/netlab"
)

// labLoad sends requests from a lab host to each load balancer, bounded in count and
// in time, and keeps every result with its time (a failure is a transport error, a
// truncated answer or a status other than 200).
type labLoad struct {
	mu       sync.Mutex
	hits     map[string][]hit  // per load balancer
	inflight map[int]time.Time // worker -> when its current request was sent
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// loadLimits bound a labLoad.
type loadLimits struct {
	workers  int           // per load balancer
	pause    time.Duration // between a worker's requests
	requests int           // in all, across load balancers
	duration time.Duration // from the start
}

// requestTimeout fails a request that takes longer. Generous: on a loaded 2-core
// machine (a load average of 16 was seen) a request can stall for seconds.
const requestTimeout = 10 * time.Second

// failurePause is a worker's least pause after a failed request.
const failurePause = 50 * time.Millisecond

// startLabLoad starts the load from host to every URL of lbs (name -> URL); it stops
// at the limits, at stop, or when the test ends.
func startLabLoad(t *testing.T, from *netlab.Host, lbs map[string]string, lim loadLimits) *labLoad {
	ctx, cancel := context.WithTimeout(context.Background(), lim.duration)
	l := &labLoad{cancel: cancel, hits: map[string][]hit{}, inflight: map[int]time.Time{}}
	c := &http.Client{Timeout: requestTimeout, Transport: &http.Transport{DisableKeepAlives: true, DialContext: from.DialContext}}
	budget := make(chan struct{}, lim.requests)
	for range lim.requests {
		budget <- struct{}{}
	}
	worker := 0
	for name, url := range lbs {
		for range lim.workers {
			id := worker
			worker++
			l.wg.Go(func() {
				for ctx.Err() == nil {
					select {
					case <-budget:
					default:
						return
					}
					sent := time.Now()
					l.mu.Lock()
					l.inflight[id] = sent
					l.mu.Unlock()
					body, err := getWith(ctx, c, url)
					l.mu.Lock()
					delete(l.inflight, id)
					if ctx.Err() == nil { // else cut short by the stop: not a result
						l.hits[name] = append(l.hits[name], hit{sent: sent, done: time.Now(), body: body, err: err})
					}
					l.mu.Unlock()
					if ctx.Err() != nil {
						return
					}
					pause := lim.pause
					if err != nil {
						pause = max(pause, failurePause) // a load balancer that is down is not hammered
					}
					select {
					case <-ctx.Done():
					case <-time.After(pause):
					}
				}
			})
		}
	}
	t.Cleanup(l.stop)
	return l
}

// getWith is get through client c.
func getWith(ctx context.Context, c *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return string(body), fmt.Errorf("%s, body cut: %w", resp.Status, err)
	}
	if resp.StatusCode != http.StatusOK {
		return string(body), fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return string(body), nil
}

// stop ends the load and waits for its workers (idempotent).
func (l *labLoad) stop() {
	l.cancel()
	l.wg.Wait()
}

// settle waits until every request sent before t has its result (at most the
// request timeout and a little more), so that counting up to t misses none.
func (l *labLoad) settle(t time.Time) {
	deadline := time.Now().Add(requestTimeout + time.Second)
	for time.Now().Before(deadline) {
		l.mu.Lock()
		pending := false
		for _, sent := range l.inflight {
			pending = pending || sent.Before(t)
		}
		l.mu.Unlock()
		if !pending {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// between returns lb's requests sent in [from, to); lb "" means every load balancer's.
func (l *labLoad) between(lb string, from, to time.Time) []hit {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []hit
	for name, hits := range l.hits {
		if lb != "" && name != lb {
			continue
		}
		for _, h := range hits {
			if !h.sent.Before(from) && h.sent.Before(to) {
				out = append(out, h)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].sent.Before(out[j].sent) })
	return out
}

// failures lists the failed requests of hits with their times relative to t0.
func failures(hits []hit, t0 time.Time) []string {
	var out []string
	for _, h := range hits {
		if h.err != nil {
			out = append(out, fmt.Sprintf("+%v (%s): %v", h.sent.Sub(t0).Round(time.Millisecond), h.sent.UTC().Format("15:04:05.000"), h.err))
		}
	}
	return out
}
