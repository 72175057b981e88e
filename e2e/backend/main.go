// Command backend is the tiny HTTP server the end-to-end tests run as the
// generated apache@PORT.service: every request is answered with the server's
// own port, so a client behind the load balancer can tell backends apart.
//
// On SIGTERM it drains like a real server: it first notes whether its
// registration key is still in etcd (when -etcd and -key are given, through
// etcd's JSON gateway) in the -report file, then keeps answering for -drain,
// then exits 0. A request served during the drain therefore shows the load
// balancer still routing to a backend that is stopping.
//
// With -delay every answer is sent in two parts: the header (with its
// Content-Length) at once, the body after the delay, so a request is in flight
// for that long. With -abort, the exit after the drain cuts the requests in
// flight instead of finishing them, as Apache does on SIGTERM: a load balancer
// still routing to it then fails those requests (it cannot retry a request whose
// answer it has begun to send), which it otherwise hides by retrying refused
// connections on another server.
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "`ADDR` to serve on")
	drain := flag.Duration("drain", 0, "keep serving this long after SIGTERM")
	etcd := flag.String("etcd", "", "etcd client `URL` whose -key is looked up at SIGTERM")
	key := flag.String("key", "", "registration `KEY` to look up at SIGTERM")
	report := flag.String("report", "", "`FILE` to write the SIGTERM observation to")
	delay := flag.Duration("delay", 0, "send each answer's body this long after its header")
	abort := flag.Bool("abort", false, "after the drain, cut the requests in flight instead of finishing them")
	flag.Parse()
	if err := run(*listen, *drain, *etcd, *key, *report, *delay, *abort); err != nil {
		log.Fatal(err)
	}
}

func run(listen string, drain time.Duration, etcd, key, report string, delay time.Duration, abort bool) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	srv := &http.Server{
		Handler:           answer(port, delay),
		ReadHeaderTimeout: 5 * time.Second,
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM, syscall.SIGINT)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Printf("serving on %s", ln.Addr())
	select {
	case err := <-served:
		return err
	case <-term:
	}
	note := fmt.Sprintf("sigterm-unix-nano=%d\n", time.Now().UnixNano())
	if etcd != "" && key != "" {
		present, err := keyPresent(etcd, key)
		note += fmt.Sprintf("key-present=%t\nerr=%v\n", present, err)
	}
	log.Printf("SIGTERM: %s", bytes.ReplaceAll([]byte(note), []byte("\n"), []byte(" ")))
	if report != "" {
		if err := os.WriteFile(report, []byte(note), 0o644); err != nil {
			log.Printf("report: %v", err)
		}
	}
	time.Sleep(drain)
	if abort {
		log.Printf("stopped, cutting the requests in flight")
		return srv.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Printf("stopped")
	return nil
}

// answer answers every request with port, its body delay after its header.
func answer(port string, delay time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if delay <= 0 {
			fmt.Fprint(w, port)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(port)))
		w.WriteHeader(http.StatusOK)
		if err := http.NewResponseController(w).Flush(); err != nil {
			return
		}
		select {
		case <-time.After(delay):
			fmt.Fprint(w, port)
		case <-r.Context().Done():
		}
	})
}

// keyPresent asks etcd's v3 JSON gateway whether key exists.
func keyPresent(endpoint, key string) (bool, error) {
	body, _ := json.Marshal(map[string]string{"key": base64.StdEncoding.EncodeToString([]byte(key))})
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Post(endpoint+"/v3/kv/range", "application/json", bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	var r struct {
		Count string            `json:"count"`
		Kvs   []json.RawMessage `json:"kvs"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return false, err
	}
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("etcd gateway: %s", resp.Status)
	}
	return len(r.Kvs) > 0, nil
}
