package etcd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
)

// gRPC waits out its dial timeout and reports only "context deadline
// exceeded", hiding why it could not connect. When a request times out,
// Probe dials each endpoint once itself with the client's TLS configuration
// and reports what that dial met: the refused connection, the x509 error,
// the TLS alert the server sent, or an http/https mismatch.

// explainTimeout bounds the direct dials of one explanation.
const explainTimeout = 2 * time.Second

// h2Preface is what an HTTP/2 client sends first; a gRPC server answers it
// with a SETTINGS frame, or with the TLS alert of a refused client
// certificate (TLS 1.3 checks it after the client's handshake is done).
const h2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00"

// tlsKey carries the client's TLS configuration in its context, from New to
// Probe (a *clientv3.Client does not expose it).
type tlsKey struct{}

// explainAll explains the failure of every endpoint (at most three), or
// returns nil when each accepts a connection.
func explainAll(ctx context.Context, endpoints []string, cfg *tls.Config) error {
	ctx, cancel := context.WithTimeout(ctx, explainTimeout)
	defer cancel()
	var errs []error
	for _, ep := range endpoints[:min(3, len(endpoints))] {
		err := explain(ctx, ep, cfg)
		if ctx.Err() != nil {
			return nil // a silent (frozen, overloaded) server: no reason to give
		}
		if err != nil && len(endpoints) > 1 {
			errs = append(errs, fmt.Errorf("%s: %w", ep, err))
		} else if err != nil {
			errs = append(errs, err) // the message names the one endpoint already
		}
	}
	return errors.Join(errs...)
}

// explain dials endpoint as gRPC would and returns why that fails, or nil.
func explain(ctx context.Context, endpoint string, cfg *tls.Config) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil // unix sockets and odd forms: nothing to add
	}
	conn, err := dial(ctx, u.Host)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	if u.Scheme == "https" {
		err := handshake(ctx, conn, cfg, u.Hostname())
		if err != nil && speaksPlain(ctx, u.Host) {
			return fmt.Errorf("the server speaks plain HTTP/2, not TLS: use http:// endpoints (%w)", err)
		}
		return err
	}
	if speaksTLS(ctx, u.Host) {
		return errors.New("the server speaks TLS: use https:// endpoints")
	}
	return nil
}

func dial(ctx context.Context, host string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", host)
}

// handshake runs a TLS handshake on conn and one HTTP/2 exchange, so that a
// client certificate the server refuses shows too.
func handshake(ctx context.Context, conn net.Conn, cfg *tls.Config, host string) error {
	c := &tls.Config{}
	if cfg != nil {
		c = cfg.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = host
	}
	c.NextProtos = []string{"h2"}
	tc := tls.Client(conn, c)
	if err := tc.HandshakeContext(ctx); err != nil {
		return fmt.Errorf("TLS handshake: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = tc.SetDeadline(dl) // best effort: the read below is bounded anyway by Close
	}
	if _, err := tc.Write([]byte(h2Preface)); err != nil {
		return fmt.Errorf("TLS: %w", err)
	}
	var b [1]byte
	if _, err := tc.Read(b[:]); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("TLS: server refused the connection: %w", err)
	}
	return nil
}

// speaksTLS says whether host completes a TLS handshake (certificates
// unchecked): a sign that an http:// endpoint should be https://.
func speaksTLS(ctx context.Context, host string) bool {
	conn, err := dial(ctx, host)
	if err != nil {
		return false
	}
	defer func() { _ = conn.Close() }()
	tc := tls.Client(conn, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}}) //nolint:gosec // only probing whether TLS is spoken
	err = tc.HandshakeContext(ctx)
	var alert tls.AlertError // a server that sends a TLS alert speaks TLS too
	return err == nil || errors.As(err, &alert)
}

// speaksPlain says whether host answers an HTTP/2 preface without TLS with
// a SETTINGS frame: a sign that an https:// endpoint should be http://.
func speaksPlain(ctx context.Context, host string) bool {
	conn, err := dial(ctx, host)
	if err != nil {
		return false
	}
	defer func() { _ = conn.Close() }()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if _, err := conn.Write([]byte(h2Preface)); err != nil {
		return false
	}
	var hdr [9]byte // a frame header: length(3) type(1) flags(1) stream(4)
	_, err = io.ReadFull(conn, hdr[:])
	return err == nil && hdr[3] == 0x4
}

// reason formats an explanation for an error message: ": why" or "".
func reason(err error) string {
	if err == nil {
		return ""
	}
	return ": " + strings.ReplaceAll(err.Error(), "\n", "; ")
}
