package units

import (
	"bytes"
	"fmt"
	"path/filepath"

	"github.com/coreos/go-systemd/v22/unit"
)

// Finding is one problem in a unit file. Line is 1-based, 0 when unknown.
type Finding struct {
	File string
	Line int
	Msg  string
}

// String formats f as "file:line: msg", or "file: msg" without a line.
func (f Finding) String() string {
	if f.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", f.File, f.Line, f.Msg)
	}
	return fmt.Sprintf("%s: %s", f.File, f.Msg)
}

// option is a parsed option with the line it starts on (0 if unknown).
type option struct {
	section, name, value string
	line                 int
}

// Lint checks one unit file, named name (a path; its base name is the unit
// name), against what fleet and systemd accept without running anything:
// the unit name, lines of 2048 bytes or more, parse errors, lines without
// '=', garbage after a section header, and the [X-Fleet] rules (see
// lintFleet). It returns nil for a clean file.
func Lint(name string, data []byte) []Finding {
	var fs []Finding
	add := func(line int, format string, a ...any) {
		fs = append(fs, Finding{File: name, Line: line, Msg: fmt.Sprintf(format, a...)})
	}
	if err := CheckUnitName(filepath.Base(name)); err != nil {
		add(0, "%v", err)
	}
	lines := scanLines(data, add)
	secs, err := unit.DeserializeSections(bytes.NewReader(data))
	if err != nil {
		if len(fs) == 0 || fs[len(fs)-1].Line == 0 {
			add(0, "cannot parse: %v", err)
		}
		return fs
	}
	var opts []option
	for _, s := range secs {
		for _, e := range s.Entries {
			opts = append(opts, option{section: s.Section, name: e.Name, value: e.Value})
		}
	}
	if len(lines) == len(opts) {
		for i := range opts {
			opts[i].line = lines[i]
		}
	}
	lintFleet(opts, add)
	return fs
}

// scanLines reports line-level problems with their line numbers and
// returns the line each option starts on, in file order.
func scanLines(data []byte, add func(int, string, ...any)) []int {
	var starts []int
	inSection, cont := false, false
	for i, raw := range bytes.Split(data, []byte("\n")) {
		n := i + 1
		if len(raw) >= unit.SYSTEMD_LINE_MAX {
			add(n, "line is %d bytes; fleet and systemd reject lines of %d bytes or more", len(raw), unit.SYSTEMD_LINE_MAX)
		}
		l := bytes.TrimSpace(bytes.TrimSuffix(raw, []byte("\r")))
		wasCont := cont
		cont = bytes.HasSuffix(l, []byte(`\`))
		switch {
		case wasCont:
			if len(l) == 0 {
				cont = false
			}
		case len(l) == 0 || l[0] == '#' || l[0] == ';':
		case l[0] == '[':
			end := bytes.IndexByte(l, ']')
			if end < 0 {
				add(n, "section header %q has no closing ']'", l)
			} else if end != len(l)-1 {
				add(n, "garbage after section header: %q", l[end+1:])
			}
			inSection, cont = true, false
		case !inSection:
			add(n, "option outside any section: %q", l)
		case bytes.IndexByte(l, '=') < 0:
			add(n, "line has no '=': %q", l)
		default:
			starts = append(starts, n)
		}
	}
	return starts
}
