//go:build !linux

package netlab

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

const ipTimeout = 30 * time.Second

var errSkip = errors.New("netlab unavailable: Linux only")

func preflight() error { return errSkip }

func skip(t testing.TB, err error) { t.Skipf("no network lab: %v", err) }

// Sweep does nothing off Linux.
func Sweep() error { return nil }

// DialContext fails off Linux.
func (h *Host) DialContext(context.Context, string, string) (net.Conn, error) { return nil, errSkip }

// Listen fails off Linux.
func (h *Host) Listen(string, string) (net.Listener, error) { return nil, errSkip }
