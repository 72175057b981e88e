package register

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHTTPCheck(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "/missing", http.StatusFound) // not followed: 302 passes
		case "/missing":
			http.NotFound(w, r)
		case "/down":
			http.Error(w, "down", http.StatusServiceUnavailable)
		case "/slow":
			<-r.Context().Done()
		}
	}))
	defer srv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for _, tt := range []struct {
		url  string
		want string // "" passes, else a substring of the error
	}{
		{srv.URL + "/", ""},
		{srv.URL + "/redirect", ""},
		{srv.URL + "/missing", "404"},
		{srv.URL + "/down", "503"},
		{srv.URL + "/slow", "deadline exceeded"},
		{closed.URL + "/", "refused"},
	} {
		t.Run(tt.url, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			err := HTTPCheck{URL: tt.url}.Check(ctx)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Check: %v, want %q", err, tt.want)
			}
		})
	}
}

func TestTCPCheck(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ctx := context.Background()
	if err := (TCPCheck{Addr: addr}).Check(ctx); err != nil {
		t.Errorf("listening: %v", err)
	}
	_ = ln.Close()
	if err := (TCPCheck{Addr: addr}).Check(ctx); err == nil {
		t.Error("closed port passed")
	}
}

func TestNewChecker(t *testing.T) {
	for _, tt := range []struct {
		http, tcp string
		want      Checker
		bad       bool
	}{
		{"", "", nil, false},
		{"http://127.0.0.1:8080/health", "", HTTPCheck{URL: "http://127.0.0.1:8080/health"}, false},
		{"", "127.0.0.1:8080", TCPCheck{Addr: "127.0.0.1:8080"}, false},
		{"http://a/", "a:1", nil, true},
		{"127.0.0.1:8080", "", nil, true},
		{"ftp://a/", "", nil, true},
		{"", "127.0.0.1", nil, true},
	} {
		c, err := NewChecker(tt.http, tt.tcp)
		if tt.bad != errors.Is(err, ErrInvalid) || !tt.bad && c != tt.want {
			t.Errorf("NewChecker(%q, %q) = %v, %v", tt.http, tt.tcp, c, err)
		}
	}
}

func TestJSONValue(t *testing.T) {
	for in, ok := range map[string]bool{
		`{"a":1}`: true, `"x"`: true, `[1, 2]`: true, "null": true,
		`{"a":`: false, "": false, `{"a":1} {}`: false, `{'a':1}`: false,
	} {
		v, err := JSONValue(in)
		if ok && (err != nil || v != in) || !ok && !errors.Is(err, ErrInvalid) {
			t.Errorf("JSONValue(%q) = %q, %v", in, v, err)
		}
	}
}

func TestCheckLoopBoundsEachCheck(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan result)
	done := make(chan struct{})
	hang := CheckFunc(func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	go func() { checkLoop(ctx, hang, 50*time.Millisecond, 0, out); close(done) }()
	select {
	case res := <-out:
		if !errors.Is(res.err, context.DeadlineExceeded) || res.starting {
			t.Errorf("hanging check: %+v", res)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("a hanging check was not cut off by the interval")
	}
	cancel()
	<-done
}
