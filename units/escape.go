package units

import (
	"fmt"
	"path"
	"strings"
	"unicode/utf8"
)

// part is a piece of a unit-file value. Literal parts are escaped when
// rendered; raw parts are specifiers (%i) or environment references
// (${VAR}, $MAINPID) inserted on purpose by the generator and written as is.
type part struct {
	s   string
	raw bool
}

// text is a value (or one Exec argument) made of parts.
type text []part

func lit(s string) part  { return part{s: s} }
func spec(s string) part { return part{s: s, raw: true} }

// words turns plain strings into one-literal-part texts.
func words(ss ...string) []text {
	out := make([]text, len(ss))
	for i, s := range ss {
		out[i] = text{lit(s)}
	}
	return out
}

// checkValue rejects what a unit file cannot carry: CR/LF (they would
// inject new keys), NUL and other control characters, and invalid UTF-8.
// option names the option in the error.
func checkValue(option, v string) error {
	if !utf8.ValidString(v) {
		return fmt.Errorf("%s: value %q is not valid UTF-8", option, v)
	}
	for _, r := range v {
		switch {
		case r == '\n' || r == '\r':
			return fmt.Errorf("%s: value %q contains a line break (CR/LF), which would inject unit-file lines", option, v)
		case r == 0:
			return fmt.Errorf("%s: value %q contains a NUL byte", option, v)
		case r < 0x20 || r == 0x7f:
			return fmt.Errorf("%s: value %q contains control character %U", option, v, r)
		}
	}
	return nil
}

// render writes t for a unit file: literal '%' becomes "%%" (systemd
// specifiers) and, when exec is set, literal '$' becomes "$$"
// (environment expansion in Exec*= lines). Raw parts are kept verbatim.
func (t text) render(exec bool) string {
	var b strings.Builder
	for _, p := range t {
		if p.raw {
			b.WriteString(p.s)
			continue
		}
		s := strings.ReplaceAll(p.s, "%", "%%")
		if exec {
			s = strings.ReplaceAll(s, "$", "$$")
		}
		b.WriteString(s)
	}
	return b.String()
}

// plain returns the literal text of t, with raw parts as written.
func (t text) plain() string {
	var b strings.Builder
	for _, p := range t {
		b.WriteString(p.s)
	}
	return b.String()
}

// check runs checkValue over every literal part of t.
func (t text) check(option string) error {
	for _, p := range t {
		if err := checkValue(option, p.s); err != nil {
			return err
		}
	}
	return nil
}

// safeWord holds the bytes that need no quoting in an Exec*= argument.
const safeWord = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" +
	"_-+=.,/:@%${}[]^~"

// quoteArg quotes one rendered Exec*= argument by systemd's command-line
// rules: unchanged when made only of safe bytes, else in double quotes with
// '\' and '"' backslash-escaped. An empty argument becomes "".
func quoteArg(s string) string {
	if s != "" && strings.Trim(s, safeWord) == "" && s != ";" {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// execLine renders an Exec*= command line: prefix (such as "-") is written
// before the first word, every argument is escaped and quoted; the
// executable's '$' is left single (see below).
func execLine(option, prefix string, argv []text) (string, error) {
	if len(argv) == 0 {
		return "", fmt.Errorf("%s: empty command", option)
	}
	exe := argv[0].plain()
	if !strings.HasPrefix(exe, "/") || path.Clean(exe) != exe {
		return "", fmt.Errorf("%s: executable %q must be an absolute, normalized path", option, exe)
	}
	out := make([]string, len(argv))
	for i, w := range argv {
		if err := w.check(option); err != nil {
			return "", err
		}
		// systemd resolves specifiers (%) in the whole line, but substitutes
		// environment variables only in the arguments it passes: the path
		// it executes is taken as written, so "$$" there would stay "$$"
		// (seen under a real systemd: "Failed to locate executable
		// /x/bin$$HOME/confwatch"). The executable gets % doubled, not $.
		out[i] = quoteArg(w.render(i > 0))
	}
	return prefix + strings.Join(out, " "), nil
}
