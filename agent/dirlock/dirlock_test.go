package dirlock

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSecondAcquireIsRefusedNamingTheHolder: flock conflicts between two
// open descriptions even in one process, so a second Acquire here stands
// for a second agent; its error names this process by PID and command line.
func TestSecondAcquireIsRefusedNamingTheHolder(t *testing.T) {
	conf, st := t.TempDir(), t.TempDir()
	first, err := Acquire(Dir{Path: conf, What: "confdir"}, Dir{Path: st, What: "state_dir"})
	if err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	_, err = Acquire(Dir{Path: other, What: "confdir"}, Dir{Path: st, What: "state_dir"})
	var be *BusyError
	if !errors.As(err, &be) || !errors.Is(err, ErrBusy) {
		t.Fatalf("second Acquire = %v, want a *BusyError", err)
	}
	if be.Holder.PID != os.Getpid() || be.Dir.Path != st {
		t.Fatalf("holder %+v of %s, want pid %d of %s", be.Holder, be.Dir.Path, os.Getpid(), st)
	}
	msg := err.Error()
	for _, want := range []string{"state_dir " + st, "pid " + strconv.Itoa(os.Getpid()), filepath.Base(os.Args[0])} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	// The failed Acquire released what it took: other is free.
	if l, err := Acquire(Dir{Path: other, What: "confdir"}); err != nil {
		t.Fatalf("other still locked: %v", err)
	} else {
		l.Release()
	}
	first.Release()
	again, err := Acquire(Dir{Path: conf, What: "confdir"}, Dir{Path: st, What: "state_dir"})
	if err != nil {
		t.Fatalf("after Release: %v", err)
	}
	again.Release()
}

func TestSameDirTwiceAndMissingDir(t *testing.T) {
	d := t.TempDir()
	l, err := Acquire(Dir{Path: d, What: "confdir"}, Dir{Path: d + "/.", What: "state_dir"}, Dir{Path: filepath.Join(d, "none"), What: "x"}, Dir{What: "y"})
	if err != nil {
		t.Fatal(err)
	}
	l.Release()
}

func TestUnitOf(t *testing.T) {
	tests := map[string]string{
		"0::/system.slice/nginx_lb.service\n":                    "nginx_lb.service",
		"0::/user.slice/user-0.slice/session-3.scope\n":          "session-3.scope",
		"1:name=systemd:/system.slice/confwatch.service\n0::/\n": "confwatch.service",
		"0::/\n": "",
		"0::/system.slice/confwatch.service/sub\n": "confwatch.service",
	}
	for in, want := range tests {
		if got := unitOf(in); got != want {
			t.Errorf("unitOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestOptionalDirThatCannotBeOpenedIsSkipped: a state_dir under a regular
// file (or unreadable) is skipped when Optional, and refused otherwise.
func TestOptionalDirThatCannotBeOpenedIsSkipped(t *testing.T) {
	f := filepath.Join(t.TempDir(), "afile")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(f, "state")
	lk, err := Acquire(Dir{Path: t.TempDir(), What: "confdir"}, Dir{Path: bad, What: "state_dir", Optional: true})
	if err != nil {
		t.Fatalf("optional state_dir under a file: %v", err)
	}
	lk.Release()
	if _, err := Acquire(Dir{Path: bad, What: "state_dir"}); err == nil {
		t.Fatal("a directory that cannot be opened was skipped without Optional")
	}
}
