package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// slowBackend answers each request only once release is closed; arrived
// receives one value per request as it comes in.
type slowBackend struct {
	addr    string
	arrived chan struct{}
	mu      sync.Mutex
	release chan struct{}
}

func newSlowBackend(t *testing.T) *slowBackend {
	b := &slowBackend{arrived: make(chan struct{}, 64), release: make(chan struct{})}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rel := b.gate()
		b.arrived <- struct{}{}
		select {
		case <-rel:
		case <-r.Context().Done():
			return
		}
		fmt.Fprint(w, "slow")
	}))
	t.Cleanup(s.Close)
	b.addr = strings.TrimPrefix(s.URL, "http://")
	return b
}

func (b *slowBackend) gate() chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.release
}

// releaseAll answers every held request; later ones are held again until
// the next releaseAll.
func (b *slowBackend) releaseAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.release)
	b.release = make(chan struct{})
}

// slowClients are requests to /slow held open through nginx.
type slowClients struct {
	wg   sync.WaitGroup
	mu   sync.Mutex
	errs []error
	n    int
}

// open sends one request to url and waits until the backend has it.
func (c *slowClients) open(t *testing.T, url string, b *slowBackend) {
	t.Helper()
	c.wg.Add(1)
	c.n++
	go func() {
		defer c.wg.Done()
		cl := &http.Client{Timeout: 55 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := cl.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(body) != "slow" {
				err = fmt.Errorf("%s: %q", resp.Status, body)
			}
		}
		if err != nil {
			c.mu.Lock()
			c.errs = append(c.errs, err)
			c.mu.Unlock()
		}
	}()
	select {
	case <-b.arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("a /slow request did not reach the backend")
	}
}

// sampleMax calls f every 50ms until stopped; peak returns the largest
// value seen so far.
func sampleMax(f func() int) (peak func() int, stop func()) {
	var mu sync.Mutex
	top := 0
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			n := f()
			mu.Lock()
			top = max(top, n)
			mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() int { mu.Lock(); defer mu.Unlock(); return top }, func() { cancel(); <-done }
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
