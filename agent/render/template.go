package render

import (
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"text/template"

	"github.com/confwatch/confwatch/agent/kv"
	"github.com/confwatch/confwatch/internal/atomicfile"
)

// Template is a parsed confd template; safe for concurrent Execute calls.
//
// It is parsed once. Each execution borrows, from a pool, a clone of the
// parsed template whose store functions are bound to a private binding; the
// binding is pointed at the execution's store for its duration. A clone is
// made only when the pool is empty, so a steady-state Execute costs no
// parsing, cloning or function-map building.
type Template struct {
	inc  *includer // include's directory and parsed files, shared with them
	path string
	name string             // text/template name: filepath.Base(path), as confd
	text []byte             // source, for error columns
	base *template.Template // parsed with unbound functions; never executed
	pool sync.Pool          // *instance
	hint atomic.Int64       // size of the last output, to size the buffer
}

// instance is a clone of base with its own store binding.
type instance struct {
	t *template.Template
	b *binding
}

// Parse parses text (read from file path, used in errors) with every confd
// function defined; include reads files relative to path's directory.
// Syntax errors and unknown functions come back as *Error with File, Line,
// Col (0 if unknown) and Msg.
func Parse(path string, text []byte) (*Template, error) {
	return ParseIn(path, filepath.Dir(path), text)
}

// ParseIn is Parse with include reading files relative to dir (confd's
// templates/). Files named by include with a constant name are parsed here,
// recursively, so a missing file, a syntax error in it, a cycle or too deep
// a nesting is a parse error at the include. An empty dir is path's.
func ParseIn(path, dir string, text []byte) (*Template, error) {
	if dir == "" {
		dir = filepath.Dir(path)
	}
	t, err := parseText(newIncluder(dir), path, text)
	if err != nil {
		return nil, err
	}
	if err := t.checkIncludes([]string{absPath(path)}); err != nil {
		return nil, err
	}
	return t, nil
}

func parseText(inc *includer, path string, text []byte) (*Template, error) {
	name := filepath.Base(path)
	base, err := template.New(name).Funcs(funcMap(&binding{})).Parse(string(text))
	if err != nil {
		return nil, parseError(path, name, text, err)
	}
	return &Template{inc: inc, path: path, name: name, text: text, base: base}, nil
}

// ParseFile reads and parses path, include reading files relative to path's
// directory. A read error is returned as is (wrapped).
func ParseFile(path string) (*Template, error) {
	return ParseFileIn(path, filepath.Dir(path))
}

// ParseFileIn reads and parses path, include reading files relative to dir.
func ParseFileIn(path, dir string) (*Template, error) {
	text, err := atomicfile.ReadRegular(path)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	return ParseIn(path, dir, text)
}

// Path returns the path the template was parsed from.
func (t *Template) Path() string { return t.path }

// Execute renders with store as the key space (a nil store is an empty one).
// The template's data (dot) is nil, as in confd. A failing function (missing
// key for get or getv without default, division by zero, bad json, ...) or
// any other execution error returns *Error naming the template file, line and
// column and, for a missing key, the key. On error no output is returned.
func (t *Template) Execute(store kv.Store) ([]byte, error) {
	return t.ExecuteMax(store, DefaultMaxOutput)
}

// ExecuteMax is Execute with the output bounded to max bytes (max_output;
// 0 or less means DefaultMaxOutput): a larger render stops at the limit and
// is an error wrapping ErrTooLarge.
func (t *Template) ExecuteMax(store kv.Store, max int64) ([]byte, error) {
	if max <= 0 {
		max = DefaultMaxOutput
	}
	return t.execute(orEmpty(store), nil, []string{absPath(t.path)}, max)
}

// execute runs t with dot set to data, its output bounded to max bytes;
// stack is the chain of files being executed, ending with t's own.
func (t *Template) execute(store kv.Store, data any, stack []string, max int64) ([]byte, error) {
	in, err := t.instance()
	if err != nil {
		return nil, err
	}
	in.b.store, in.b.stack, in.b.max = store, stack, max
	w := &limitWriter{max: max}
	buf := &w.buf
	buf.Grow(int(min(t.hint.Load(), max)))
	err = in.t.Execute(w, data)
	in.b.store, in.b.stack = nil, nil
	t.pool.Put(in)
	if err != nil {
		return nil, execError(t.path, t.name, err)
	}
	t.hint.Store(int64(buf.Len()) + int64(buf.Len())/8)
	return buf.Bytes(), nil
}

// instance takes an instance from the pool or clones a new one.
func (t *Template) instance() (*instance, error) {
	if in, ok := t.pool.Get().(*instance); ok {
		return in, nil
	}
	c, err := t.base.Clone()
	if err != nil {
		return nil, fmt.Errorf("clone template %s: %w", t.path, err)
	}
	b := &binding{inc: t.inc}
	c.Funcs(storeFuncs(b))
	return &instance{t: c, b: b}, nil
}
