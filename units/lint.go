package units

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

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

// IsUnitFileName reports whether name (a base name) ends in a unit type
// fleet knows, such as ".service": a file that does not, like README.md,
// is not a unit file at all.
func IsUnitFileName(name string) bool {
	dot := strings.LastIndex(name, ".")
	return dot >= 0 && fleetUnitTypes[name[dot+1:]]
}

// Lint checks one unit file, named name (a path; its base name is the unit
// name), against what fleet and systemd accept without running anything.
// A file whose name is not a unit file's (IsUnitFileName) gets one finding,
// "not a unit file", and no other check. Otherwise:
// the unit name (and, with an [X-Fleet] section, fleetctl's unit types),
// lines of 2048 bytes or more, parse errors, lines without '=', garbage
// after a section header, bytes fleet's parser and systemd read
// differently (see scanLines), and the [X-Fleet] rules (see lintFleet).
// It returns nil for a clean file. fleet_parity_test.go maps each rule to
// the fleet source it comes from.
func Lint(name string, data []byte) []Finding {
	var fs []Finding
	add := func(line int, format string, a ...any) {
		fs = append(fs, Finding{File: name, Line: line, Msg: fmt.Sprintf(format, a...)})
	}
	base := filepath.Base(name)
	nameErr := CheckUnitName(base)
	if !IsUnitFileName(base) {
		add(0, "not a unit file: %v", nameErr)
		return fs
	}
	if nameErr != nil {
		add(0, "%v", nameErr)
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
		if s.Section == "X-Fleet" && nameErr == nil {
			if nameErr = checkFleetctlName(base); nameErr != nil {
				add(0, "%v", nameErr)
			}
		}
		for _, e := range s.Entries {
			opts = append(opts, option{section: s.Section, name: e.Name, value: e.Value})
		}
	}
	if len(opts) == 0 {
		// api/units.go set: "unit does not exist and options field empty".
		add(0, "unit has no options; fleet's API refuses it (and systemd takes an empty file as masked)")
	}
	if len(lines) == len(opts) {
		for i := range opts {
			opts[i].line = lines[i]
		}
	}
	lintFleet(opts, add)
	return fs
}

// What the previous line continues (go-systemd's lexer, which fleet uses).
const (
	contNone = iota
	contValue
	contComment
)

// scanLines reports line-level problems with their line numbers and
// returns the line each option starts on, in file order. It follows
// go-systemd's lexer (fleet's parser: unit.NewUnitFile in unit/unit.go)
// and reports where systemd reads the same bytes differently.
func scanLines(data []byte, add func(int, string, ...any)) []int {
	var starts []int
	inSection, cont := false, contNone
	for i, raw := range bytes.Split(data, []byte("\n")) {
		n := i + 1
		raw = bytes.TrimSuffix(raw, []byte("\r"))
		if len(raw) >= unit.SYSTEMD_LINE_MAX {
			add(n, "line is %d bytes; fleet's parser rejects lines of %d bytes or more (older systemd truncated them)", len(raw), unit.SYSTEMD_LINE_MAX)
		}
		l := bytes.TrimSpace(raw)
		comment := len(l) > 0 && (l[0] == '#' || l[0] == ';')
		prev := cont
		cont = contNone
		switch {
		case prev == contComment:
			if bytes.HasSuffix(bytes.TrimSuffix(raw, []byte(" ")), []byte(`\`)) {
				cont = contComment
			}
		case prev == contValue:
			if len(l) == 0 {
				break // an empty line ends the value
			}
			if comment {
				add(n, "comment inside a continued value: systemd drops the line, fleet's parser keeps it in the value")
			}
			cont = valueCont(raw, n, add)
		case len(l) == 0:
		case comment:
			if bytes.HasSuffix(bytes.TrimSuffix(raw, []byte(" ")), []byte(`\`)) {
				add(n, "comment ends in '\\': fleet's parser continues it onto the next line, systemd does not")
				cont = contComment
			}
		case l[0] == '[':
			end := bytes.IndexByte(l, ']')
			if end < 0 {
				add(n, "section header %q has no closing ']'", l)
			} else if end != len(l)-1 {
				add(n, "garbage after section header: %q", l[end+1:])
			}
			inSection = true
		case !inSection:
			add(n, "option outside any section: %q", l)
		case bytes.IndexByte(l, '=') < 0:
			add(n, "line has no '=': %q", l)
		default:
			starts = append(starts, n)
			cont = valueCont(raw, n, add)
		}
	}
	return starts
}

// valueCont tells whether an option line goes on: for go-systemd only if
// its last byte is a backslash; systemd strips trailing whitespace first
// and continues too, so that case is reported.
func valueCont(raw []byte, n int, add func(int, string, ...any)) int {
	if bytes.HasSuffix(raw, []byte(`\`)) {
		return contValue
	}
	if bytes.HasSuffix(bytes.TrimRight(raw, " \t"), []byte(`\`)) {
		add(n, "whitespace after the line-continuation '\\': systemd continues the line, fleet's parser does not")
	}
	return contNone
}
