package units

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/coreos/go-systemd/v22/unit"
)

// mark prefixes a specifier or variable reference in decoded values, so a
// literal "%i" (written "%%i") and the specifier %i decode differently.
const mark = "\x00"

// expected is the decoded form of an intended value.
func expected(t text) string {
	var b strings.Builder
	for _, p := range t {
		if p.raw {
			b.WriteString(mark)
		}
		b.WriteString(p.s)
	}
	return b.String()
}

// decodeExpansions undoes systemd's specifier (and, in Exec*= arguments
// after the executable, variable) syntax independently of the generator: "%%" is '%', "$$" is
// '$', and %x, ${NAME}, $NAME are marked references.
func decodeExpansions(v string, exec bool) (string, error) {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '%' && i+1 < len(v) && v[i+1] == '%':
			b.WriteByte('%')
			i++
		case c == '%':
			if i+1 == len(v) {
				return "", fmt.Errorf("dangling %% in %q", v)
			}
			b.WriteString(mark + v[i:i+2])
			i++
		case exec && c == '$' && i+1 < len(v) && v[i+1] == '$':
			b.WriteByte('$')
			i++
		case exec && c == '$' && i+1 < len(v) && v[i+1] == '{':
			end := strings.IndexByte(v[i:], '}')
			if end < 0 {
				return "", fmt.Errorf("unterminated ${ in %q", v)
			}
			b.WriteString(mark + v[i:i+end+1])
			i += end
		case exec && c == '$' && i+1 < len(v) && (isAlnum(v[i+1]) || v[i+1] == '_'):
			j := i + 1
			for j < len(v) && (isAlnum(v[j]) || v[j] == '_') {
				j++
			}
			b.WriteString(mark + v[i:j])
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// splitExec splits an Exec*= value by systemd's rules (extract_first_word
// with UNQUOTE|CUNESCAPE): blanks separate words, "..." and '...' quote,
// backslash escapes \\ \" \' \n \t \xNN and, unquoted, a lone ";" ends the
// command. The leading prefix characters -@:+! are returned separately.
func splitExec(v string) (prefix string, argv []string, err error) {
	rest := strings.TrimLeft(v, "-@:+!")
	prefix, v = v[:len(v)-len(rest)], rest
	var cur strings.Builder
	in, quote := false, byte(0)
	flush := func() {
		if in {
			argv = append(argv, cur.String())
		}
		cur.Reset()
		in = false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\':
			if i+1 == len(v) {
				return "", nil, fmt.Errorf("trailing backslash in %q", v)
			}
			i++
			switch e := v[i]; e {
			case 'n':
				cur.WriteByte('\n')
			case 't':
				cur.WriteByte('\t')
			case 'x':
				n, perr := strconv.ParseUint(v[i+1:i+3], 16, 8)
				if perr != nil {
					return "", nil, perr
				}
				cur.WriteByte(byte(n))
				i += 2
			default:
				cur.WriteByte(e)
			}
			in = true
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(c)
		case c == '"' || c == '\'':
			quote, in = c, true
		case c == ' ' || c == '\t':
			flush()
		case c == ';' && !in && (i+1 == len(v) || v[i+1] == ' '):
			return "", nil, fmt.Errorf("unquoted ';' separates commands in %q", v)
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if quote != 0 {
		return "", nil, fmt.Errorf("unbalanced quotes in %q", v)
	}
	flush()
	return prefix, argv, nil
}

// checkRoundTrip parses every generated unit back with
// unit.DeserializeSections and requires exactly the intended options.
func checkRoundTrip(t *testing.T, spec Spec, files []File) {
	t.Helper()
	s := spec.withDefaults()
	for i, def := range []unitDef{s.backend(), s.sidekick(), s.lb()} {
		f := files[i]
		if f.Name != def.name {
			t.Fatalf("file %d is %q, want %q", i, f.Name, def.name)
		}
		secs, err := unit.DeserializeSections(bytes.NewReader(f.Data))
		if err != nil {
			t.Fatalf("%s does not parse: %v\n%s", f.Name, err, f.Data)
		}
		if len(secs) != len(def.sections) {
			t.Fatalf("%s: %d sections, want %d", f.Name, len(secs), len(def.sections))
		}
		for j, want := range def.sections {
			got := secs[j]
			if got.Section != want.name || len(got.Entries) != len(want.entries) {
				t.Fatalf("%s: section %q with %d entries, want %q with %d", f.Name, got.Section, len(got.Entries), want.name, len(want.entries))
			}
			for k, e := range want.entries {
				checkEntry(t, f.Name, want.name, got.Entries[k], e)
			}
		}
	}
}

func checkEntry(t *testing.T, file, sec string, got *unit.UnitEntry, want entry) {
	t.Helper()
	where := fmt.Sprintf("%s [%s] %s=%s", file, sec, got.Name, got.Value)
	if got.Name != want.key {
		t.Fatalf("%s: key %q, want %q", where, got.Name, want.key)
	}
	if want.argv == nil {
		if sec == "X-Fleet" {
			if got.Value != want.val.plain() {
				t.Fatalf("%s: want %q", where, want.val.plain())
			}
			return
		}
		dec, err := decodeExpansions(got.Value, false)
		if err != nil || dec != expected(want.val) {
			t.Fatalf("%s: decodes to %q (%v), want %q", where, dec, err, expected(want.val))
		}
		return
	}
	prefix, argv, err := splitExec(got.Value)
	if err != nil || prefix != want.prefix || len(argv) != len(want.argv) {
		t.Fatalf("%s: prefix %q, %d args (%v), want %q and %d", where, prefix, len(argv), err, want.prefix, len(want.argv))
	}
	for i, a := range argv {
		// systemd executes the path as written: no variable substitution
		// in argument 0 (TestGeneratedUnitsUnderSystemd, with a $ in it).
		dec, err := decodeExpansions(a, i > 0)
		if err != nil || dec != expected(want.argv[i]) {
			t.Fatalf("%s: argument %d decodes to %q (%v), want %q", where, i, dec, err, expected(want.argv[i]))
		}
	}
}
