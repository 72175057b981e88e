package logging

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in      string
		want    slog.Level
		wantErr bool
	}{
		{"debug", slog.LevelDebug, false},
		{"DEBUG", slog.LevelDebug, false},
		{"info", slog.LevelInfo, false},
		{"", slog.LevelInfo, false},
		{"warn", slog.LevelWarn, false},
		{" Warning ", slog.LevelWarn, false},
		{"error", slog.LevelError, false},
		{"panic", slog.LevelError, false},
		{"fatal", slog.LevelError, false},
		{"trace", 0, true},
		{"verbose", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseLevel(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrUnknownLevel) {
					t.Fatalf("err = %v, want ErrUnknownLevel", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseLevel(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestJournalLines(t *testing.T) {
	tests := []struct {
		name string
		log  func(*slog.Logger)
		want string
	}{
		{"info", func(l *slog.Logger) { l.Info("reload done", "unit", "nginx.service") }, "<6>reload done unit=nginx.service"},
		{"bare", func(l *slog.Logger) { l.Info("started") }, "<6>started"},
		{"empty", func(l *slog.Logger) { l.Info("", "k", 1) }, "<6>k=1"},
		{"debug", func(l *slog.Logger) { l.Debug("key", "path", "/a b") }, `<7>key path="/a b"`},
		{"warn", func(l *slog.Logger) { l.Warn("slow") }, "<4>slow"},
		{"error", func(l *slog.Logger) { l.Error("check failed", "err", errors.New("exit 1")) }, `<3>check failed err="exit 1"`},
		{"above error", func(l *slog.Logger) { l.Log(context.Background(), slog.LevelError+4, "boom") }, "<3>boom"},
		{"newline in message", func(l *slog.Logger) { l.Info("two\nlines\r") }, `<6>two\nlines\r`},
		{"newline in value", func(l *slog.Logger) { l.Info("out", "stderr", "a\nb") }, `<6>out stderr="a\nb"`},
		{"quote in message", func(l *slog.Logger) { l.Info(`say "hi"`) }, `<6>say "hi"`},
		{"user level and msg keys", func(l *slog.Logger) { l.Info("m", "level", "x", "msg", "y") }, "<6>m level=x msg=y"},
		{"group", func(l *slog.Logger) { l.WithGroup("etcd").Info("up", "rev", 7) }, "<6>up etcd.rev=7"},
		{"with", func(l *slog.Logger) { l.With("res", "nginx").Warn("refused") }, "<4>refused res=nginx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			l, err := New(&buf, "debug", "journal")
			if err != nil {
				t.Fatal(err)
			}
			tt.log(l)
			if got := buf.String(); got != tt.want+"\n" {
				t.Errorf("got  %q\nwant %q", got, tt.want+"\n")
			}
		})
	}
}

func TestFormats(t *testing.T) {
	tests := []struct {
		format, want string
	}{
		{"text", "level=WARN msg=hi k=v"},
		{"auto", "level=WARN msg=hi k=v"}, // w is not os.Stderr
		{"", "level=WARN msg=hi k=v"},
		{"JSON", `"level":"WARN","msg":"hi","k":"v"}`},
		{"journal", "<4>hi k=v\n"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			l, err := New(&buf, "warn", tt.format)
			if err != nil {
				t.Fatal(err)
			}
			l.Info("dropped")
			l.Warn("hi", "k", "v")
			if got := buf.String(); !strings.Contains(got, tt.want) || strings.Contains(got, "dropped") {
				t.Errorf("got %q, want it to contain %q and not the info record", got, tt.want)
			}
		})
	}
	if _, err := New(&bytes.Buffer{}, "info", "xml"); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("format xml: err = %v, want ErrUnknownFormat", err)
	}
	if _, err := New(&bytes.Buffer{}, "loud", "text"); !errors.Is(err, ErrUnknownLevel) {
		t.Errorf("level loud: err = %v, want ErrUnknownLevel", err)
	}
}

func TestAutoDetectsJournal(t *testing.T) {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(os.Stderr.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, stream string
		journal      bool
	}{
		{"matching stream", fmt.Sprintf("%d:%d", st.Dev, st.Ino), true},
		{"other inode", fmt.Sprintf("%d:%d", st.Dev, st.Ino+1), false},
		{"malformed", "junk", false},
		{"unset", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("JOURNAL_STREAM", tt.stream)
			l, err := New(os.Stderr, "info", "auto")
			if err != nil {
				t.Fatal(err)
			}
			if _, got := l.Handler().(journalHandler); got != tt.journal {
				t.Errorf("journal handler = %v, want %v", got, tt.journal)
			}
		})
	}
}
