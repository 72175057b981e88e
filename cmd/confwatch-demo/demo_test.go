package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDemoCI runs the demo as `make demo-ci` does, shorter: it must see a
// backend leave and come back, and leave no process and no file behind.
func TestDemoCI(t *testing.T) {
	if testing.Short() {
		t.Skip("runs etcd, three backends, the agent and nginx for 12s")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // the demo's directory is made in here
	var out, errs bytes.Buffer
	code := run(context.Background(), []string{"--ci", "--duration", "12s", "--interval", "2s"}, &out, &errs)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, &out, &errs)
	}
	for _, want := range []string{"stop backend", "etcd     delete", "start backend", "etcd     put", "left the upstream and came back"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, &out)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("left behind in $TMPDIR: %v", left)
	}
	m := regexp.MustCompile(`started on \S+ \(pid (\d+)\)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Logf("nginx was not used:\n%s", &out)
		return
	}
	if stray := processes(t, m[1], tmp); len(stray) > 0 {
		t.Errorf("nginx processes left: %v", stray)
	}
}

// processes returns the pids of processes in process group pgid (nginx's
// master and workers) or whose command line mentions dir.
func processes(t *testing.T, pgid, dir string) []string {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range stats {
		stat, err1 := os.ReadFile(f)
		cmd, err2 := os.ReadFile(filepath.Join(filepath.Dir(f), "cmdline"))
		if err1 != nil || err2 != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid pgrp ...: comm may hold spaces, so split after ')'.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) > 2 && fields[2] == pgid || bytes.Contains(cmd, []byte(dir)) {
			out = append(out, filepath.Base(filepath.Dir(f))+": "+strings.ReplaceAll(string(cmd), "\x00", " "))
		}
	}
	return out
}

func TestFlags(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		want int
	}{
		{"help", []string{"-h"}, exitOK},
		{"unknown flag", []string{"--nope"}, exitUsage},
		{"argument", []string{"extra"}, exitUsage},
		{"zero interval", []string{"--interval", "0s"}, exitUsage},
		{"negative duration", []string{"--duration", "-1s"}, exitUsage},
		{"port out of range", []string{"--port", "70000"}, exitUsage},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errs bytes.Buffer
			if got := run(context.Background(), tt.args, &out, &errs); got != tt.want {
				t.Errorf("exit %d, want %d\n%s", got, tt.want, &errs)
			}
		})
	}
}

func TestTally(t *testing.T) {
	var tl tally
	for _, up := range [][]string{{"a", "b", "c"}, {"a", "c"}, {"a", "c"}, {"a", "b", "c"}, {"b", "c"}, {"a", "b"}} {
		tl.saw(up)
	}
	if want := []string{"b", "a"}; !slices.Equal(tl.back, want) {
		t.Errorf("back %v, want %v", tl.back, want)
	}
}

func TestUpstream(t *testing.T) {
	f := filepath.Join(t.TempDir(), "nginx.conf")
	conf := "upstream p {\n    server 127.0.0.1:1;\n  server 127.0.0.1:2 ;\n}\nserver {\n listen 80;\n}\n"
	if err := os.WriteFile(f, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := upstream(f)
	if want := []string{"127.0.0.1:1", "127.0.0.1:2"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("upstream: %v, %v; want %v", got, err, want)
	}
}
