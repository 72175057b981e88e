package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/confwatch/confwatch/bench/internal/agentproc"
)

// firstAnswer requests url (a new connection each time, 1 ms apart) until
// the new backend answers, and returns when it did.
func firstAnswer(ctx context.Context, url string, timeout time.Duration) (time.Time, error) {
	cl := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return time.Time{}, err
		}
		resp, err := cl.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && string(body) == "new" {
				return time.Now(), nil
			}
		}
		if ctx.Err() != nil {
			return time.Time{}, ctx.Err()
		}
		time.Sleep(time.Millisecond)
	}
	return time.Time{}, fmt.Errorf("%s: the new backend did not answer within %s", url, timeout)
}

// newBackend is the backend every measured key points at: it answers "new".
func newBackend() (addr string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "new") }),
		ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	return ln.Addr().String(), func() { _ = srv.Close(); <-done }, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// nginxProc is the section's nginx, in the foreground, as a child.
type nginxProc struct {
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
}

// startNginx writes a bootstrap configuration (the template's, with no
// backend) at c.Dest and starts nginx on it, waiting until it answers.
func startNginx(ctx context.Context, nginx string, c *agentproc.Confdir, port int) (*nginxProc, error) {
	boot := strings.NewReplacer("PORT", strconv.Itoa(port), "DIR", c.Dir).Replace(
		"worker_processes 1;\npid DIR/nginx.pid;\nevents { worker_connections 1024; }\nhttp {\n    access_log off;\n" +
			"    server {\n        listen 127.0.0.1:PORT;\n        location / { return 404; }\n    }\n}\n")
	if err := os.WriteFile(c.Dest, []byte(boot), 0o644); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(c.Dir, "nginx.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(nginx, "-c", c.Dest, "-p", c.Dir, "-e", "stderr", "-g", "daemon off;")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return nil, fmt.Errorf("start nginx: %w", err)
	}
	p := &nginxProc{cmd: cmd, log: logf, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return p, nil
		}
		select {
		case <-p.done:
			b, _ := os.ReadFile(logf.Name())
			return nil, fmt.Errorf("nginx exited at start: %s", b)
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		default:
		}
	}
	p.stop()
	return nil, errors.New("nginx did not answer within 10s")
}

// stop ends nginx (SIGTERM: fast shutdown) and waits for it.
func (p *nginxProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	_ = p.log.Close()
}
