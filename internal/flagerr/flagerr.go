// Package flagerr rewords the flag parse errors of urfave/cli (and of Go's
// flag package under it) as one line naming the flag with its double dash,
// the bad value and what the flag expects.
package flagerr

import (
	"regexp"
	"strings"

	"github.com/urfave/cli/v2"
)

// flagErrors match the errors of Go's flag package and of urfave/cli's
// environment-variable parsing, which are only strings: submatch 1 is the
// flag's name, 2 the value (quoted) when there is one, 3 the reason. This is
// the one place confwatch reads error text, because those libraries give
// nothing else; it only rewords, and an unknown text passes unchanged.
var flagErrors = []struct {
	re   *regexp.Regexp
	what string // the problem, before ": want ..."
}{
	{regexp.MustCompile(`^invalid value (".*") for flag -(\S+): (.*)$`), "invalid value"},
	{regexp.MustCompile(`^invalid boolean value (".*") for -(\S+): (.*)$`), "invalid value"},
	{regexp.MustCompile(`^flag needs an argument: -(\S+)$`), "missing value"},
	{regexp.MustCompile(`^flag provided but not defined: -(\S+)$`), "no such flag"},
	{regexp.MustCompile(`^could not parse (".*") as \w+ value from (.*) for flag (\S+): (.*)$`), "invalid value"},
}

// Describe rewrites err, a flag parse error, as "--NAME: PROBLEM
// VALUE: want EXPECTED" using flags to tell what NAME expects. An error it
// does not recognise is returned as it is.
func Describe(err error, flags []cli.Flag) string {
	msg := err.Error()
	for _, fe := range flagErrors {
		m := fe.re.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		name, value, from := "", "", ""
		switch len(m) {
		case 2: // needs an argument, not defined
			name = m[1]
		case 4: // flag package: value, name, reason
			value, name = m[1], m[2]
		case 5: // environment: value, source, name, reason
			value, from, name = m[1], m[2], m[3]
		}
		out := "--" + name
		if from != "" {
			out += " (from " + from + ")"
		}
		out += ": " + fe.what
		if value != "" {
			out += " " + value
		}
		if want := expects(name, flags); want != "" && fe.what != "no such flag" {
			out += ": want " + want
		}
		return out
	}
	return strings.TrimPrefix(msg, "flag: ")
}

// expects describes the values the flag called name takes ("" when unknown).
func expects(name string, flags []cli.Flag) string {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n != name {
				continue
			}
			switch f.(type) {
			case *cli.DurationFlag:
				return "a duration like 30s"
			case *cli.IntFlag, *cli.Int64Flag, *cli.UintFlag, *cli.Uint64Flag:
				return "a whole number"
			case *cli.Float64Flag:
				return "a number"
			case *cli.BoolFlag:
				return "true or false"
			}
			return ""
		}
	}
	return ""
}
