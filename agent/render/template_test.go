package render

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/confwatch/confwatch/agent/kv"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestGolden(t *testing.T) {
	docs := tree(readKeys(t, filepath.Join("testdata", "confd.keys"))...)
	cases := []struct {
		golden, tmpl string
		store        kv.Store
	}{
		{"nginx.golden", "nginx.tmpl", tree(
			"/services/apache/10.0.0.2:8080", "10.0.0.2:8080",
			"/services/apache/10.0.0.10:8080", "10.0.0.10:8080",
			"/services/apache/10.0.0.1:8080", "10.0.0.1:8080",
			"/services/apache/sub/x", "not matched")},
		{"nginx-empty.golden", "nginx.tmpl", tree()},
		{"confd.golden", "confd.tmpl", docs},
	}
	for _, tc := range cases {
		t.Run(tc.golden, func(t *testing.T) {
			tmpl, err := ParseFile(filepath.Join("testdata", tc.tmpl))
			if err != nil {
				t.Fatal(err)
			}
			got, err := tmpl.Execute(tc.store)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.golden)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (run with -update to accept):\n%s", path, got)
			}
		})
	}
}

func TestErrorPositions(t *testing.T) {
	cases := []struct {
		name, text string
		line, col  int
		key, msg   string
	}{
		{name: "syntax error", text: "a\n{{ if }}", line: 2, msg: "missing value for if"},
		{name: "unclosed action", text: "a\nb\n {{ getv \"/x\"", line: 3, msg: "unclosed action"},
		{name: "unknown function", text: "a\nb {{ .X }} {{ nosuch 1 }}", line: 2, col: 15, msg: `function "nosuch" not defined`},
		{name: "unknown function after prefix", text: "{{ getvx (getv \"/a\") }}", line: 1, col: 4, msg: `function "getvx" not defined`},
		{name: "missing key", text: "x\n  {{ getv \"/missing\" }}", line: 2, col: 6, key: "/missing",
			msg: `at <getv "/missing">: error calling getv: key does not exist: /missing`},
		{name: "missing key in define", text: "{{define \"d\"}}\n\n {{get \"/k\"}}{{end}}{{template \"d\"}}", line: 3, col: 4, key: "/k"},
		{name: "division by zero", text: "\n\n\t{{ div 1 0 }}", line: 3, col: 5, msg: "at <div 1 0>: error calling div: integer divide by zero"},
		{name: "bad json", text: "{{ $v := getv \"/j\" }}\n{{ json $v }}", line: 2, col: 4, msg: "error calling json"},
		{name: "undefined template", text: "{{template \"nope\"}}", line: 1, col: 12, msg: `template "nope" not defined`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := run(t, tree("/j", "{"), tc.text)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if e.File != "test.tmpl" || e.Line != tc.line || e.Col != tc.col || e.Key != tc.key {
				t.Errorf("got %s:%d:%d key %q, want test.tmpl:%d:%d key %q", e.File, e.Line, e.Col, e.Key, tc.line, tc.col, tc.key)
			}
			if !strings.Contains(e.Msg, tc.msg) || strings.HasPrefix(e.Msg, "template:") {
				t.Errorf("Msg = %q, want it to contain %q", e.Msg, tc.msg)
			}
			pos := fmt.Sprintf("test.tmpl:%d:%d: ", tc.line, tc.col)
			if tc.col == 0 {
				pos = fmt.Sprintf("test.tmpl:%d: ", tc.line)
			}
			if !strings.HasPrefix(e.Error(), pos) || e.Unwrap() == nil {
				t.Errorf("Error() = %q, want prefix %q", e.Error(), pos)
			}
		})
	}
}

func TestParseFile(t *testing.T) {
	if _, err := ParseFile(filepath.Join(t.TempDir(), "none.tmpl")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
	p := filepath.Join(t.TempDir(), "bad.tmpl")
	if err := os.WriteFile(p, []byte("{{ end }}"), 0o600); err != nil {
		t.Fatal(err)
	}
	var e *Error
	if _, err := ParseFile(p); !errors.As(err, &e) || e.File != p || e.Line != 1 {
		t.Errorf("bad file: err = %v", err)
	}
}

// TestConcurrentExecute runs one Template against different stores at once
// (run with -race).
func TestConcurrentExecute(t *testing.T) {
	tmpl, err := Parse("c.tmpl", []byte(`{{getv "/id"}}:{{range getvs "/v/*"}}{{.}},{{end}}{{ls "/v"}}`))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		store := tree("/id", fmt.Sprint(g), "/v/a", fmt.Sprint(g*10), "/v/b", fmt.Sprint(g*10+1))
		want := fmt.Sprintf("%d:%d,%d,[a b]", g, g*10, g*10+1)
		wg.Go(func() {
			for range 200 {
				out, err := tmpl.Execute(store)
				if err != nil || string(out) != want {
					t.Errorf("got %q, %v; want %q", out, err, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestExecuteAfterError(t *testing.T) {
	tmpl, err := Parse("e.tmpl", []byte(`{{getv "/k"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tmpl.Execute(tree()); err == nil {
		t.Fatal("want error for missing key")
	}
	if out, err := tmpl.Execute(tree("/k", "v")); err != nil || string(out) != "v" {
		t.Fatalf("got %q, %v", out, err)
	}
}

func TestConversionErrorsDoNotQuoteValues(t *testing.T) {
	tr := kv.NewTree()
	tr.Put("/db/port", "hunter2-secret")
	for _, text := range []string{`{{ atoi (getv "/db/port") }}`, `{{ parseBool (getv "/db/port") }}`} {
		tm, err := Parse("t.tmpl", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		_, err = tm.Execute(kv.View{Dirs: []kv.Dir{{Key: "/db", Tree: tr}}})
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("error %v", err)
		}
	}
}
