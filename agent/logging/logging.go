// Package logging builds the agent's *slog.Logger: text or JSON for terminals and files,
// and sd-daemon priority prefixes for the journal when stderr is the journal.
package logging

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"syscall"

	"github.com/coreos/go-systemd/v22/journal"
)

// Formats accepted by New.
const (
	FormatAuto    = "auto"    // journal when w is os.Stderr and stderr is the journal, else text
	FormatText    = "text"    // slog.TextHandler
	FormatJSON    = "json"    // slog.JSONHandler
	FormatJournal = "journal" // "<N>message key=value", no timestamp (see NewJournalHandler)
)

var (
	// ErrUnknownLevel is returned by ParseLevel and New for a level name they do not know.
	ErrUnknownLevel = errors.New("unknown log level")
	// ErrUnknownFormat is returned by New for a format other than the Format constants.
	ErrUnknownFormat = errors.New("unknown log format")
)

// New returns a logger writing records at level or above to w in format (one of the Format
// constants; "" means auto). level is parsed by ParseLevel.
func New(w io.Writer, level, format string) (*slog.Logger, error) {
	lvl, err := ParseLevel(level)
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch strings.ToLower(strings.TrimSpace(format)) {
	case FormatAuto, "":
		if IsJournal(w) {
			return slog.New(NewJournalHandler(w, opts)), nil
		}
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case FormatText:
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case FormatJSON:
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case FormatJournal:
		return slog.New(NewJournalHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("logging: %w %q (want auto, text, json or journal)", ErrUnknownFormat, format)
}

// IsJournal reports whether w is a file systemd connected to the journal: an *os.File
// whose device and inode are the ones JOURNAL_STREAM names. Anything else (a buffer, a
// pipe of our own, a malformed or unset JOURNAL_STREAM) counts as no. Lines written to
// such a w should carry a "<N>" priority prefix, or journald files them at info.
func IsJournal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	if f == os.Stderr {
		ok, err := journal.StderrIsJournalStream()
		return err == nil && ok
	}
	var dev, ino uint64
	if _, err := fmt.Sscanf(os.Getenv("JOURNAL_STREAM"), "%d:%d", &dev, &ino); err != nil {
		return false
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return false
	}
	return uint64(st.Dev) == dev && uint64(st.Ino) == ino //nolint:unconvert // types differ by arch
}

// PriorityError is the sd-daemon(3) prefix of a line at error priority ("<3>").
const PriorityError = "<3>"

// ParseLevel maps a level name to a slog.Level, case-insensitively. It accepts confd's
// names: debug, info, warn or warning, error, and panic or fatal (both error: the agent
// never exits on a log call). "" is info.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error", "panic", "fatal":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("logging: %w %q (want debug, info, warn, error)", ErrUnknownLevel, s)
}
