package units

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/coreos/go-systemd/v22/unit"
)

// File is one generated file: a slash-separated name relative to the
// output directory, and its content.
type File struct {
	Name string
	Data []byte
}

// entry is one option as intended, before escaping: a plain value, or an
// Exec*= command line (argv, with prefix such as "-").
type entry struct {
	key    string
	val    text
	argv   []text
	prefix string
}

type section struct {
	name    string
	entries []entry
}

// unitDef is a unit as intended: its file name and sections in order.
type unitDef struct {
	name     string
	sections []section
}

func (u *unitDef) sec(name string) *section {
	for i := range u.sections {
		if u.sections[i].name == name {
			return &u.sections[i]
		}
	}
	u.sections = append(u.sections, section{name: name})
	return &u.sections[len(u.sections)-1]
}

// add appends a plain option.
func (u *unitDef) add(sec, key string, val ...part) {
	s := u.sec(sec)
	s.entries = append(s.entries, entry{key: key, val: val})
}

// exec appends an Exec*= option.
func (u *unitDef) exec(sec, key, prefix string, argv ...text) {
	s := u.sec(sec)
	s.entries = append(s.entries, entry{key: key, argv: argv, prefix: prefix})
}

// renderValue escapes one entry. In [X-Fleet] fleet expands %n %N %p %i
// but has no "%%", so a literal '%' there is refused instead of escaped.
func renderValue(unitName, secName string, e entry) (string, error) {
	option := fmt.Sprintf("%s [%s] %s=", unitName, secName, e.key)
	if e.argv != nil {
		return execLine(option, e.prefix, e.argv)
	}
	if err := e.val.check(option); err != nil {
		return "", err
	}
	v := e.val.render(false)
	if secName == "X-Fleet" {
		for _, p := range e.val {
			if !p.raw && strings.Contains(p.s, "%") {
				return "", fmt.Errorf("%s value %q: fleet cannot escape '%%'", option, p.s)
			}
		}
		v = e.val.plain()
	}
	if v == "" || strings.TrimSpace(v) != v || strings.HasSuffix(v, `\`) {
		return "", fmt.Errorf("%s value %q: empty, padded with spaces or ending in '\\'", option, v)
	}
	return v, nil
}

// serialize renders u with unit.SerializeSections and checks that every
// line is shorter than unit.SYSTEMD_LINE_MAX bytes.
func (u unitDef) serialize() ([]byte, error) {
	var secs []*unit.UnitSection
	for _, s := range u.sections {
		us := &unit.UnitSection{Section: s.name}
		for _, e := range s.entries {
			v, err := renderValue(u.name, s.name, e)
			if err != nil {
				return nil, err
			}
			us.Entries = append(us.Entries, &unit.UnitEntry{Name: e.key, Value: v})
		}
		secs = append(secs, us)
	}
	data, err := io.ReadAll(unit.SerializeSections(secs))
	if err != nil {
		return nil, fmt.Errorf("%s: serialize: %w", u.name, err)
	}
	for i, line := range bytes.Split(data, []byte("\n")) {
		if len(line) >= unit.SYSTEMD_LINE_MAX {
			return nil, fmt.Errorf("%s: line %d is %d bytes; systemd and fleet reject lines of %d bytes or more",
				u.name, i+1, len(line), unit.SYSTEMD_LINE_MAX)
		}
	}
	return data, nil
}
