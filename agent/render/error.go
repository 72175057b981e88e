package render

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
)

// ErrNotExist is wrapped by the error get and getv (without a default) return
// for a missing key: errors.Is(err, ErrNotExist) holds for Execute's error.
var ErrNotExist = errors.New("key does not exist")

// Error is a parse or execution error located in a template file.
type Error struct {
	File      string // template path as given to Parse
	Line, Col int    // 1-based; 0 when unknown
	Key       string // key whose lookup failed or whose value was refused, if any
	Msg       string // message without the position
	Err       error  // underlying error (text/template's, wrapping the function's)
}

// Error formats "file:line:col: msg", leaving out a zero col (and a zero line).
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Col > 0 {
			b.WriteString(":" + strconv.Itoa(e.Col))
		}
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// keyError is memkv's KeyError: "key does not exist: /x".
type keyError struct {
	Key string
	Err error
}

func (e *keyError) Error() string { return e.Err.Error() + ": " + e.Key }
func (e *keyError) Unwrap() error { return e.Err }

// parseError converts a text/template parse error, "template: NAME:LINE: MSG".
func parseError(file, name string, text []byte, err error) *Error {
	e := &Error{File: file, Msg: err.Error(), Err: err}
	if rest, ok := strings.CutPrefix(e.Msg, "template: "+name+":"); ok {
		if n, after, ok := cutInt(rest); ok {
			e.Line, e.Msg = n, strings.TrimPrefix(after, ": ")
		}
	}
	if fn, ok := undefinedFunc(e.Msg); ok && e.Line > 0 {
		e.Col = identColumn(text, e.Line, fn)
	}
	return e
}

// execError converts a text/template execution error,
// "template: NAME:LINE:COL: executing "T" at <CTX>: MSG", where COL is 0-based.
func execError(file, name string, err error) *Error {
	e := &Error{File: file, Msg: err.Error(), Err: err}
	var ke *keyError
	var ve *valueError
	switch {
	case errors.As(err, &ke):
		e.Key = ke.Key
	case errors.As(err, &ve):
		e.Key = ve.Key
	}
	rest, ok := strings.CutPrefix(e.Msg, "template: "+name+":")
	if !ok {
		e.Msg = strings.TrimPrefix(e.Msg, "template: "+name+": ")
		return e
	}
	line, rest, ok := cutInt(rest)
	if !ok {
		return e
	}
	col, rest, ok := cutInt(strings.TrimPrefix(rest, ":"))
	if !ok {
		return e
	}
	e.Line, e.Col, e.Msg = line, col+1, strings.TrimPrefix(rest, ": ")
	if strings.HasPrefix(e.Msg, "executing ") {
		if i := strings.Index(e.Msg, " at <"); i >= 0 {
			e.Msg = e.Msg[i+1:]
		}
	}
	return e
}

// cutInt parses the decimal number s starts with.
func cutInt(s string) (n int, rest string, ok bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.Atoi(s[:i])
	return n, s[i:], err == nil
}

// undefinedFunc recognises text/template's `function "NAME" not defined`.
func undefinedFunc(msg string) (string, bool) {
	rest, ok := strings.CutPrefix(msg, "function ")
	if !ok {
		return "", false
	}
	q, err := strconv.QuotedPrefix(rest)
	if err != nil || rest[len(q):] != " not defined" {
		return "", false
	}
	name, err := strconv.Unquote(q)
	return name, err == nil
}

// identColumn returns the 1-based column of the first use of identifier id on
// the given line of text as a function name (not a field, variable or part of
// a longer word), or 0.
func identColumn(text []byte, line int, id string) int {
	lines := bytes.Split(text, []byte("\n"))
	if line < 1 || line > len(lines) {
		return 0
	}
	l := lines[line-1]
	for off := 0; ; {
		i := bytes.Index(l[off:], []byte(id))
		if i < 0 {
			return 0
		}
		i += off
		end := i + len(id)
		if (i == 0 || !isIdentByte(l[i-1])) && (end == len(l) || !isIdentByte(l[end])) {
			return i + 1
		}
		off = i + 1
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '.' || c == '$' || c >= '0' && c <= '9' ||
		c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}
