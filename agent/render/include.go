package render

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"text/template/parse"

	"github.com/confwatch/confwatch/internal/atomicfile"
)

// MaxIncludeDepth bounds how deeply includes nest (a template including one
// that includes another is depth 2).
const MaxIncludeDepth = 8

// Errors of include, wrapped in the *Error of the template that calls it.
var (
	ErrIncludeCycle = errors.New("include cycle")
	ErrIncludeDepth = errors.New("includes nested too deeply")
	ErrIncludePath  = errors.New("include path must be relative and inside the template directory")
)

// includer resolves include names against one directory and keeps each
// included file parsed once (per Parse of the including template; a
// configuration reload parses everything again).
type includer struct {
	dir    string
	mu     sync.Mutex
	parsed map[string]*Template // by absolute path
}

func newIncluder(dir string) *includer {
	return &includer{dir: dir, parsed: map[string]*Template{}}
}

// file returns the absolute path of name, which must be a local path.
func (in *includer) file(name string) (string, error) {
	if !filepath.IsLocal(name) {
		return "", fmt.Errorf("include %q: %w (%s)", name, ErrIncludePath, in.dir)
	}
	return absPath(filepath.Join(in.dir, name)), nil
}

// get returns the parsed template of the absolute path p, parsing it on first
// use.
func (in *includer) get(p string) (*Template, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if t, ok := in.parsed[p]; ok {
		return t, nil
	}
	text, err := atomicfile.ReadRegular(p)
	if err != nil {
		return nil, err
	}
	t, err := parseText(in, p, text)
	if err != nil {
		return nil, err
	}
	in.parsed[p] = t
	return t, nil
}

// enter checks that name may be included from the chain stack and returns
// its template and absolute path.
func (in *includer) enter(name string, stack []string) (*Template, string, error) {
	p, err := in.file(name)
	if err != nil {
		return nil, "", err
	}
	for _, s := range stack {
		if s == p {
			return nil, "", fmt.Errorf("include %q: %w: %s", name, ErrIncludeCycle, chain(append(stack, p)))
		}
	}
	if len(stack) > MaxIncludeDepth {
		return nil, "", fmt.Errorf("include %q: %w (more than %d): %s", name, ErrIncludeDepth, MaxIncludeDepth, chain(append(stack, p)))
	}
	t, err := in.get(p)
	if err != nil {
		return nil, "", fmt.Errorf("include %q: %w", name, err)
	}
	return t, p, nil
}

// include renders the template file name (relative to the template
// directory) with the same keys, and dot set to data[0] if given.
func (b *binding) include(name string, data ...any) (string, error) {
	if b.inc == nil {
		return "", fmt.Errorf("include %q: no template directory", name)
	}
	t, p, err := b.inc.enter(name, b.stack)
	if err != nil {
		return "", err
	}
	var dot any
	if len(data) > 0 {
		dot = data[0]
	}
	out, err := t.execute(orEmpty(b.store), dot, append(b.stack[:len(b.stack):len(b.stack)], p), b.max)
	if err != nil {
		return "", fmt.Errorf("include %q: %w", name, err)
	}
	return string(out), nil
}

// checkIncludes parses, recursively, every file t includes by a constant
// name; stack ends with t's own path.
func (t *Template) checkIncludes(stack []string) error {
	for _, tt := range t.base.Templates() {
		if tt.Tree == nil {
			continue
		}
		var err error
		walk(tt.Tree.Root, func(n *parse.CommandNode, name string) bool {
			var inc *Template
			var p string
			if inc, p, err = t.inc.enter(name, stack); err == nil {
				if err = inc.checkIncludes(append(stack[:len(stack):len(stack)], p)); err != nil {
					err = fmt.Errorf("include %q: %w", name, err)
				}
			}
			if err != nil {
				err = t.nodeError(tt.Tree, n, err)
			}
			return err == nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// nodeError is err located at node n of t's file.
func (t *Template) nodeError(tree *parse.Tree, n parse.Node, err error) error {
	loc, _ := tree.ErrorContext(n)
	e := &Error{File: t.path, Msg: err.Error(), Err: err}
	if rest, ok := strings.CutPrefix(loc, t.name+":"); ok {
		if line, rest, ok := cutInt(rest); ok {
			e.Line = line
			if col, _, ok := cutInt(strings.TrimPrefix(rest, ":")); ok {
				e.Col = col + 1 // ErrorContext counts from 0
			}
		}
	}
	return e
}

// walk calls fn for every command calling include with a constant name,
// until fn returns false.
func walk(n parse.Node, fn func(*parse.CommandNode, string) bool) bool {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return true
		}
		for _, c := range n.Nodes {
			if !walk(c, fn) {
				return false
			}
		}
	case *parse.ActionNode:
		return walk(n.Pipe, fn)
	case *parse.PipeNode:
		if n == nil {
			return true
		}
		for _, c := range n.Cmds {
			if !walk(c, fn) {
				return false
			}
		}
	case *parse.CommandNode:
		if len(n.Args) >= 2 {
			if id, ok := n.Args[0].(*parse.IdentifierNode); ok && id.Ident == "include" {
				if s, ok := n.Args[1].(*parse.StringNode); ok && !fn(n, s.Text) {
					return false
				}
			}
		}
		for _, a := range n.Args {
			if !walk(a, fn) {
				return false
			}
		}
	case *parse.IfNode:
		return walk(n.Pipe, fn) && walk(n.List, fn) && walk(n.ElseList, fn)
	case *parse.RangeNode:
		return walk(n.Pipe, fn) && walk(n.List, fn) && walk(n.ElseList, fn)
	case *parse.WithNode:
		return walk(n.Pipe, fn) && walk(n.List, fn) && walk(n.ElseList, fn)
	case *parse.TemplateNode:
		return walk(n.Pipe, fn)
	}
	return true
}

// chain formats a chain of files for errors, by base name.
func chain(stack []string) string {
	names := make([]string, len(stack))
	for i, s := range stack {
		names[i] = filepath.Base(s)
	}
	return strings.Join(names, " -> ")
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}
