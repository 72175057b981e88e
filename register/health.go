package register

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// Checker tells whether the backend is healthy: nil means it passes. Check
// must return when ctx ends; Run bounds each call by Options.Interval.
type Checker interface {
	Check(ctx context.Context) error
}

// CheckFunc adapts a function to Checker.
type CheckFunc func(ctx context.Context) error

// Check calls f.
func (f CheckFunc) Check(ctx context.Context) error { return f(ctx) }

// HTTPCheck passes when a GET of URL answers 2xx or 3xx (redirects are not
// followed). Every check opens a new connection, and no HTTP proxy is used.
type HTTPCheck struct {
	URL string
	// Client defaults to one without keep-alives or redirects.
	Client *http.Client
}

var defaultHTTP = &http.Client{
	Transport:     &http.Transport{DisableKeepAlives: true},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// Check implements Checker.
func (h HTTPCheck) Check(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.URL, nil)
	if err != nil {
		return fmt.Errorf("check %s: %w", h.URL, err)
	}
	req.Header.Set("User-Agent", "confwatch-register")
	c := h.Client
	if c == nil {
		c = defaultHTTP
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if err := resp.Body.Close(); err != nil {
		return fmt.Errorf("check %s: %w", h.URL, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 399 {
		return fmt.Errorf("check %s: HTTP %s", h.URL, resp.Status)
	}
	return nil
}

// TCPCheck passes when a TCP connection to Addr (host:port) opens.
type TCPCheck struct{ Addr string }

// Check implements Checker.
func (t TCPCheck) Check(ctx context.Context) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", t.Addr)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if err := c.Close(); err != nil {
		return fmt.Errorf("check %s: %w", t.Addr, err)
	}
	return nil
}

// NewChecker returns the Checker for the command-line style options: an
// HTTPCheck for httpURL, a TCPCheck for tcpAddr, nil (always healthy) when
// both are empty. Both set is an error wrapping ErrInvalid.
func NewChecker(httpURL, tcpAddr string) (Checker, error) {
	switch {
	case httpURL != "" && tcpAddr != "":
		return nil, fmt.Errorf("%w: an HTTP and a TCP check are mutually exclusive", ErrInvalid)
	case httpURL != "":
		u, err := url.Parse(httpURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%w: http check %q: want an http:// or https:// URL", ErrInvalid, httpURL)
		}
		return HTTPCheck{URL: httpURL}, nil
	case tcpAddr != "":
		if _, _, err := net.SplitHostPort(tcpAddr); err != nil {
			return nil, fmt.Errorf("%w: tcp check %q: %w", ErrInvalid, tcpAddr, err)
		}
		return TCPCheck{Addr: tcpAddr}, nil
	}
	return nil, nil
}

// graceEvery is the pause between checks during the start grace.
const graceEvery = 200 * time.Millisecond

// result is one check's outcome. starting marks a failure within the start
// grace, before the backend first answered: not a result the gate counts.
type result struct {
	err      error
	starting bool
}

// checkLoop runs c now and then interval after each result, sending each
// result to out, until ctx ends. For grace from its start, until the first
// pass, it checks graceEvery apart instead and marks the failures starting.
// Each check is bounded by interval.
func checkLoop(ctx context.Context, c Checker, interval, grace time.Duration, out chan<- result) {
	t := time.NewTimer(0)
	defer t.Stop()
	graceEnd := time.Now().Add(grace)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cctx, cancel := context.WithTimeout(ctx, interval)
		err := c.Check(cctx)
		cancel()
		starting := err != nil && time.Now().Before(graceEnd)
		if err == nil {
			graceEnd = time.Time{} // answered: the grace is over
		}
		select {
		case out <- result{err: err, starting: starting}:
		case <-ctx.Done():
			return
		}
		if starting {
			t.Reset(min(graceEvery, interval))
			continue
		}
		t.Reset(interval)
	}
}
