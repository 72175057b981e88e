// Package diag holds positioned problems found in configuration, resource and
// template files, printed the way compilers do: "file:line:col: message".
package diag

import (
	"errors"
	"fmt"
	"strings"
)

// Problem is one finding. Line and Col are 1-based; 0 means unknown.
type Problem struct {
	File    string
	Line    int
	Col     int
	Msg     string
	Warning bool // a warning does not fail a check
	Code    Code // what kind of problem, for callers that branch on it
}

// Code classifies a problem.
type Code int

// Problem codes.
const (
	CodeOther      Code = iota
	CodeSyntax          // the file could not be decoded at all
	CodeUnknownKey      // a key the schema does not have; the rest decoded
)

// Error formats the problem as file:line:col: message, leaving out unknown parts.
func (p Problem) Error() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
			if p.Col > 0 {
				fmt.Fprintf(&b, ":%d", p.Col)
			}
		}
		b.WriteString(": ")
	}
	if p.Warning {
		b.WriteString("warning: ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// List is a set of problems; it is an error when it holds any non-warning.
type List []Problem

// Errors returns only the problems that are not warnings.
func (l List) Errors() List {
	var out List
	for _, p := range l {
		if !p.Warning {
			out = append(out, p)
		}
	}
	return out
}

// Warnings returns only the warnings.
func (l List) Warnings() List {
	var out List
	for _, p := range l {
		if p.Warning {
			out = append(out, p)
		}
	}
	return out
}

// Err returns nil when l holds no errors, else an error listing them, one per
// line. errors.As finds each Problem.
func (l List) Err() error {
	errs := l.Errors()
	if len(errs) == 0 {
		return nil
	}
	es := make([]error, len(errs))
	for i, p := range errs {
		es[i] = p
	}
	return errors.Join(es...)
}
