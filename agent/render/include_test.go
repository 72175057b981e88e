package render

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInclude parses a main template whose include directory holds files,
// and checks the output, or the error at parse or execution time.
func TestInclude(t *testing.T) {
	deep := map[string]string{}
	for i := 0; i <= MaxIncludeDepth; i++ {
		deep[name(i)] = `{{include "` + name(i+1) + `"}}`
	}
	deep[name(MaxIncludeDepth+1)] = "bottom"
	for _, tc := range []struct {
		test  string
		main  string
		files map[string]string
		want  string // output when no error
		parse string // part of the parse error
		exec  string // part of the execution error
		is    error
	}{
		{test: "keys and nesting", main: `a {{include "b.tmpl"}} {{include "sub/c.tmpl" "dot"}}`,
			files: map[string]string{"b.tmpl": `b={{getv "/k"}}`, "sub/c.tmpl": `c {{.}} {{include "b.tmpl"}}`},
			want:  "a b=v c dot b=v"},
		{test: "the same file twice is no cycle", main: `{{include "b.tmpl"}}{{include "b.tmpl"}}`,
			files: map[string]string{"b.tmpl": "b"}, want: "bb"},
		{test: "defines stay in their file", main: `{{define "x"}}main{{end}}{{include "b.tmpl"}} {{template "x"}}`,
			files: map[string]string{"b.tmpl": `{{define "x"}}b{{end}}{{template "x"}}`}, want: "b main"},
		{test: "missing file", main: "\n{{include \"nope.tmpl\"}}", parse: `main.tmpl:2:3: include "nope.tmpl": open `},
		{test: "syntax error in the included file", main: `{{include "b.tmpl"}}`,
			files: map[string]string{"b.tmpl": "ok\n{{ nosuch }}"}, parse: `b.tmpl:2:4: function "nosuch" not defined`},
		{test: "cycle", main: `{{include "b.tmpl"}}`,
			files: map[string]string{"b.tmpl": `{{include "c.tmpl"}}`, "c.tmpl": `{{include "b.tmpl"}}`},
			parse: "include cycle: main.tmpl -> b.tmpl -> c.tmpl -> b.tmpl", is: ErrIncludeCycle},
		{test: "including itself", main: `{{include "main.tmpl"}}`, parse: "include cycle: main.tmpl -> main.tmpl", is: ErrIncludeCycle},
		{test: "dynamic cycle", main: `{{include (printf "%s.tmpl" "b")}}`,
			files: map[string]string{"b.tmpl": `{{include (print "b" ".tmpl")}}`},
			exec:  "include cycle: main.tmpl -> b.tmpl -> b.tmpl", is: ErrIncludeCycle},
		{test: "too deep", main: `{{include "` + name(0) + `"}}`, files: deep, parse: "includes nested too deeply", is: ErrIncludeDepth},
		{test: "outside the directory", main: `{{include "../x.tmpl"}}`, parse: `include "../x.tmpl": include path must be relative`, is: ErrIncludePath},
		{test: "absolute", main: `{{include "/etc/passwd"}}`, parse: "include path must be relative", is: ErrIncludePath},
		{test: "missing key in the included file", main: `{{include "b.tmpl"}}`,
			files: map[string]string{"b.tmpl": "\n\n{{getv \"/nokey\"}}"}, exec: `b.tmpl:3:3: at <getv "/nokey">: error calling getv: key does not exist: /nokey`, is: ErrNotExist},
	} {
		t.Run(tc.test, func(t *testing.T) {
			dir := t.TempDir()
			for n, text := range tc.files {
				p := filepath.Join(dir, n)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			main := filepath.Join(dir, "main.tmpl")
			if err := os.WriteFile(main, []byte(tc.main), 0o644); err != nil {
				t.Fatal(err)
			}
			tm, err := ParseFileIn(main, dir)
			if tc.parse != "" {
				check(t, "parse", err, tc.parse, tc.is)
				return
			}
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			out, err := tm.Execute(tree("/k", "v"))
			if tc.exec != "" {
				check(t, "execute", err, tc.exec, tc.is)
				return
			}
			if err != nil || string(out) != tc.want {
				t.Fatalf("Execute = %q, %v; want %q", out, err, tc.want)
			}
		})
	}
}

func check(t *testing.T, what string, err error, want string, is error) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("%s error = %v, want %q", what, err, want)
	}
	if is != nil && !errors.Is(err, is) {
		t.Fatalf("%s error %v is not %v", what, err, is)
	}
}

func name(i int) string { return "d" + string(rune('a'+i)) + ".tmpl" }
