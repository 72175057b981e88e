package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/confwatch/confwatch/internal/syncbuf"
	"github.com/confwatch/confwatch/internal/testetcd"
)

// regRun runs `confwatch register ARGS...` in-process, as run() does once
// the command is in newApp.
func regRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := &cli.App{Name: "confwatch", Writer: stdout, ErrWriter: stderr,
		ExitErrHandler: func(*cli.Context, error) {}, Commands: []*cli.Command{registerCommand()}}
	err := app.RunContext(ctx, append([]string{"confwatch", "register"}, args...))
	var ec cli.ExitCoder
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ec):
		io.WriteString(stderr, err.Error())
		return ec.ExitCode()
	}
	io.WriteString(stderr, err.Error())
	return exitUsage
}

// regBase is a hermetic configuration: an empty confwatch.toml and confdir.
func regBase(t *testing.T, endpoint string) []string {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "confwatch.toml")
	if err := os.WriteFile(cfg, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{"--config", cfg, "--confdir", dir, "--endpoints", endpoint, "--log-format", "text"}
}

func TestRegisterRefusesBadFlags(t *testing.T) {
	base := regBase(t, "http://127.0.0.1:1")
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no key", []string{"--value", "v"}, "--key is required"},
		{"empty key", []string{"--key", "", "--value", "v"}, "--key is empty"},
		{"relative key", []string{"--key", "services/x", "--value", "v"}, `--key "services/x" does not start with /`},
		{"unknown value format", []string{"--key", "/k", "--value", "v", "--value-format", "ip"}, `--value-format "ip": want any or hostport`},
		{"value not host:port, not echoed", []string{"--key", "/k", "--value", "1.2.3.4:80; } s3cret {", "--value-format", "hostport"}, "--value is not host:port (--value-format hostport): byte ';' at offset 10"},
		{"value with a newline", []string{"--key", "/k", "--value", "1.2.3.4:80\ns3cret", "--value-format", "hostport"}, "--value is not host:port"},
		{"no value", []string{"--key", "/k"}, "--value or --value-json is required"},
		{"empty value", []string{"--key", "/k", "--value", ""}, "--value (or CONFWATCH_REGISTER_VALUE) is empty"},
		{"empty JSON value", []string{"--key", "/k", "--value-json", ""}, "--value-json (or CONFWATCH_REGISTER_VALUE_JSON) is empty"},
		{"both values", []string{"--key", "/k", "--value", "v", "--value-json", "{}"}, "mutually exclusive"},
		{"bad JSON, not echoed", []string{"--key", "/k", "--value-json", `{"token":"s3cret"`}, "not valid JSON"},
		{"extra argument", []string{"--key", "/k", "--value", "10.0.0.5", ":8080"}, `unexpected argument ":8080": register takes flags only`},
		{"extra arguments", []string{"--key", "/k", "--value", "v", "a", "--ttl", "5s"}, `unexpected arguments "a" "--ttl" "5s"`},
		{"two checks", []string{"--key", "/k", "--value", "v", "--check-http", "http://x/", "--check-tcp", "x:1"}, "mutually exclusive"},
		{"bad URL", []string{"--key", "/k", "--value", "v", "--check-http", "localhost:80"}, "http:// or https://"},
		{"bad TCP address", []string{"--key", "/k", "--value", "v", "--check-tcp", "localhost"}, "tcp check"},
		{"zero TTL", []string{"--key", "/k", "--value", "v", "--ttl", "0"}, "--ttl must be positive, got 0s"},
		{"negative TTL", []string{"--key", "/k", "--value", "v", "--ttl", "-5s"}, "--ttl must be positive, got -5s"},
		{"short TTL", []string{"--key", "/k", "--value", "v", "--ttl", "500ms"}, "--ttl 500ms is not a whole number of seconds, at least 1s (etcd lease TTLs are): use 1s"},
		{"TTL not whole seconds", []string{"--key", "/k", "--value", "v", "--ttl", "1500ms"}, "--ttl 1.5s is not a whole number of seconds, at least 1s (etcd lease TTLs are): use 2s"},
		{"zero interval", []string{"--key", "/k", "--value", "v", "--interval", "0"}, "--interval must be positive, got 0s"},
		{"zero rise", []string{"--key", "/k", "--value", "v", "--rise", "0"}, "--rise must be at least 1, got 0"},
		{"negative drain", []string{"--key", "/k", "--value", "v", "--drain", "-1s"}, "--drain must not be negative, got -1s"},
		{"negative fall", []string{"--key", "/k", "--value", "v", "--fall", "-2"}, "--fall must be at least 1, got -2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := regRun(context.Background(), append(append([]string{}, base...), tt.args...), &out, &errb)
			if code != exitUsage || !strings.Contains(errb.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errb.String(), exitUsage, tt.want)
			}
			if strings.Contains(errb.String(), "s3cret") {
				t.Errorf("the value was echoed: %s", errb.String())
			}
		})
	}
}

// TestRegisterRefusesEmptyValueFromEnvironment: Environment=
// CONFWATCH_REGISTER_VALUE=${ADDR} with ADDR unset is an error, not "".
func TestRegisterRefusesEmptyValueFromEnvironment(t *testing.T) {
	t.Setenv("CONFWATCH_REGISTER_VALUE", "")
	var errb bytes.Buffer
	code := regRun(context.Background(), append(regBase(t, "http://127.0.0.1:1"), "--key", "/k"), io.Discard, &errb)
	if want := "--value (or CONFWATCH_REGISTER_VALUE) is empty"; code != exitUsage || !strings.Contains(errb.String(), want) {
		t.Errorf("exit %d, stderr %q; want %d and %q", code, errb.String(), exitUsage, want)
	}
}

func TestRegisterCommandInProcess(t *testing.T) {
	srv := testetcd.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var errb syncbuf.Buffer
	args := append(regBase(t, srv.Endpoint), "--key", "/services/web/a", "--value-json", `{"a":1}`, "--ttl", "5s")
	go func() { done <- regRun(ctx, args, io.Discard, &errb) }()
	regWait(t, 5*time.Second, "registered", func() bool { return regGet(t, srv, "/services/web/a") == `{"a":1}` })
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("register did not stop")
	}
	if v := regGet(t, srv, "/services/web/a"); v != "" {
		t.Errorf("key still there after exit")
	}
}

// TestRegisterDrain: on cancel the key is deleted before the drain starts,
// and register returns no sooner than --drain later.
func TestRegisterDrain(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: waits out a 2s drain")
	}
	srv := testetcd.Start(t)
	notes := regNotifySocket(t)
	t.Setenv("NOTIFY_SOCKET", notes.path)
	const drain = 2 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	var errb syncbuf.Buffer
	args := append(regBase(t, srv.Endpoint), "--key", "/services/web/d", "--value", "v", "--drain", drain.String())
	go func() { done <- regRun(ctx, args, io.Discard, &errb) }()
	regWait(t, 5*time.Second, "registered", func() bool { return regGet(t, srv, "/services/web/d") == "v" })
	stopped := time.Now()
	cancel()
	regWait(t, 10*time.Second, "drain STATUS=", func() bool { return notes.has("STATUS=deregistered; draining 2s before exit") })
	if v := regGet(t, srv, "/services/web/d"); v != "" {
		t.Error("the key is still there while draining")
	}
	if !notes.has("STOPPING=1") || !notes.has("STATUS=unregistered: stopped") {
		t.Errorf("no STOPPING=1 or final status before the drain; got %q", notes.all())
	}
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
	case <-time.After(time.Minute): // a hang guard, not a timing assertion
		t.Fatal("register did not return")
	}
	if took := time.Since(stopped); took < drain {
		t.Errorf("returned %v after cancel, before the %v drain ended", took, drain)
	}
}

// TestRegisterHelperProcess is `confwatch register` in a child process (see
// startRegister); it does nothing in a normal test run.
func TestRegisterHelperProcess(t *testing.T) {
	if os.Getenv("CONFWATCH_TEST_REGISTER") != "1" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := regRun(ctx, os.Args[slices.Index(os.Args, "--")+1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// TestRegisterNoDrainWhenNotRegistered: a sidekick whose backend never
// passed its check holds no key, so a stop has nothing to drain (a drain
// would only delay the backend's restart).
func TestRegisterNoDrainWhenNotRegistered(t *testing.T) {
	srv := testetcd.Start(t)
	notes := regNotifySocket(t)
	t.Setenv("NOTIFY_SOCKET", notes.path)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	var errb syncbuf.Buffer
	args := append(regBase(t, srv.Endpoint), "--key", "/services/web/n", "--value", "v",
		"--check-tcp", fmt.Sprintf("127.0.0.1:%d", freePort(t)), "--interval", "50ms", "--drain", "1h")
	go func() { done <- regRun(ctx, args, io.Discard, &errb) }()
	regWait(t, 5*time.Second, "READY after the first check", func() bool { return notes.has("READY=1") })
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
	case <-time.After(time.Minute): // the drain is an hour: this only tells "no drain" from "drain"
		t.Fatal("register drained though it never registered")
	}
	if notes.has("draining") {
		t.Errorf("drain status sent: %q", notes.all())
	}
}
