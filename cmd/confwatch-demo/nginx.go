package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// findNginx returns the nginx binary to use: flag when set ("off": none),
// else nginx from PATH or /usr/sbin/nginx, else "".
func findNginx(flag string) string {
	switch flag {
	case "off":
		return ""
	case "":
	default:
		return flag
	}
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx"
	}
	return ""
}

// nginx is a private nginx, the demo's child process: prefix, pid file, logs
// and temp paths all in dir, listening on 127.0.0.1:port only. It runs as
// any user; as root its workers run as nobody, which is why the demo's
// directory is world-searchable then (nginx chowns its temp paths itself).
type nginx struct {
	bin, dir string
	port     int
	cmd      *exec.Cmd
	exited   chan struct{} // closed when the master exited; err holds why
	err      error
	logf     *os.File
}

// newNginx prepares the nginx directory and picks the port.
func newNginx(bin, dir string, port int) (*nginx, error) {
	if os.Geteuid() == 0 { // workers run as nobody: let them reach their temp paths
		if err := os.Chmod(dir, 0o755); err != nil {
			return nil, err
		}
	}
	n := &nginx{bin: bin, dir: filepath.Join(dir, "nginx"), port: port}
	if n.port == 0 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		n.port = l.Addr().(*net.TCPAddr).Port
		if err := l.Close(); err != nil {
			return nil, err
		}
	}
	return n, os.MkdirAll(n.dir, 0o755)
}

// template is the full nginx.conf the agent renders: the classic upstream
// over getvs "/services/apache/*" inside a config nginx can run unprivileged.
func (n *nginx) template() string {
	paths := "client_body_temp_path temp/body;\n    proxy_temp_path temp/proxy;\n"
	if v, err := exec.Command(n.bin, "-V").CombinedOutput(); err == nil {
		for _, m := range []string{"fastcgi", "uwsgi", "scgi"} {
			if !strings.Contains(string(v), "--without-http_"+m+"_module") {
				paths += fmt.Sprintf("    %s_temp_path temp/%s;\n", m, m)
			}
		}
	}
	return fmt.Sprintf(`# Rendered by confwatch from etcd (%[1]s*). nginx runs with -p %[2]s/
daemon off;  # the demo's child process
worker_processes 1;
pid nginx.pid;
error_log error.log;
events { worker_connections 64; }
http {
    access_log off;
    %[3]s
    upstream apache_pool {
{{- range getvs "%[1]s*" }}
        server {{ . }};
{{- end }}
    }
    server {
        listen 127.0.0.1:%[4]d;
        location / { proxy_pass http://apache_pool; }
    }
}
`, servicePrefix, n.dir, strings.TrimSpace(paths), n.port)
}

// flags are the command-line options every nginx command of the demo shares.
func (n *nginx) flags() string { return "-p " + n.dir + "/" }

// checkCmd and reloadCmd are the resource's check_cmd and reload_cmd.
func (n *nginx) checkCmd() string { return n.bin + " -t -q " + n.flags() + " -c {{.src}}" }
func (n *nginx) reloadCmd() string {
	return n.bin + " " + n.flags() + " -c {{.dest}} -s reload"
}

// url is where nginx answers.
func (n *nginx) url() string { return fmt.Sprintf("http://127.0.0.1:%d/", n.port) }

// start runs nginx on conf in its own process group (see childAttr) and
// waits until it listens.
func (n *nginx) start(conf string) error {
	if err := os.MkdirAll(filepath.Join(n.dir, "temp"), 0o755); err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(n.dir, "nginx.out"))
	if err != nil {
		return err
	}
	n.cmd = exec.Command(n.bin, "-p", n.dir+"/", "-c", conf)
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	n.cmd.SysProcAttr = childAttr()
	if err := n.cmd.Start(); err != nil {
		return errors.Join(fmt.Errorf("start nginx: %w", err), logf.Close())
	}
	n.logf, n.exited = logf, make(chan struct{})
	go func() { n.err = n.cmd.Wait(); close(n.exited) }()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		select {
		case <-n.exited:
			return fmt.Errorf("nginx exited at start (%v): %s", n.err, n.output())
		case <-time.After(50 * time.Millisecond):
		}
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", n.port)); err == nil {
			return c.Close()
		}
	}
	return fmt.Errorf("nginx not listening on port %d after 10s: %s", n.port, n.output())
}

// output is the end of what nginx wrote, for error messages.
func (n *nginx) output() string {
	b, _ := os.ReadFile(filepath.Join(n.dir, "nginx.out"))
	e, _ := os.ReadFile(filepath.Join(n.dir, "error.log"))
	s := strings.TrimSpace(string(b) + string(e))
	return s[max(0, len(s)-600):]
}

// stop asks nginx to quit gracefully (SIGQUIT, what `nginx -s quit` sends,
// without reading the pid file) and waits for the master, which waits for its
// workers; after 5s it kills the whole process group. It is safe to call when
// nginx never started or already exited.
func (n *nginx) stop() error {
	if n.exited == nil {
		return nil // never started
	}
	var err error
	_ = n.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-n.exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL)
		<-n.exited
		err = errors.New("nginx did not quit within 5s: killed")
	}
	// Workers of a master that died abruptly would be left: end them too.
	_ = syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL)
	return errors.Join(err, n.logf.Close())
}
