package main

import (
	"go/scanner"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// maxLines bounds package main: the command line (flags, options, a call per
// command), with the agent's logic in its packages (issue 11).
const maxLines = 1000

// TestMainStaysSmall counts the lines of the non-test files of this package
// that hold code (not blank, not only comments) and fails above maxLines.
func TestMainStaysSmall(t *testing.T) {
	files, err := filepath.Glob("*.go")
	must(t, err)
	total := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		must(t, err)
		n := codeLines(src)
		t.Logf("%4d %s", n, f)
		total += n
	}
	if total > maxLines {
		t.Errorf("package main has %d lines of code, more than %d: move logic that is not flags → options → a call into a package", total, maxLines)
	}
	t.Logf("%4d in all (at most %d)", total, maxLines)
}

// codeLines counts the lines of src on which some token other than a comment
// starts or continues (a raw string spanning lines counts every line).
func codeLines(src []byte) int {
	fs := token.NewFileSet()
	file := fs.AddFile("", fs.Base(), len(src))
	var s scanner.Scanner
	s.Init(file, src, nil, 0)
	lines := map[int]bool{}
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok == token.SEMICOLON && lit == "\n" {
			continue // inserted at a line's end
		}
		first := file.Line(pos)
		for l := first; l <= first+strings.Count(lit, "\n"); l++ {
			lines[l] = true
		}
	}
	return len(lines)
}
