package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"github.com/urfave/cli/v2"
	yaml "go.yaml.in/yaml/v2"

	"github.com/confwatch/confwatch/agent/engine"
	"github.com/confwatch/confwatch/agent/etcd"
	"github.com/confwatch/confwatch/agent/kv"
)

// Flags of `check` that render from a file instead of etcd.
const (
	fMockData = "mock-data"
	fDiff     = "diff"
)

func mockFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: fMockData, Usage: "render every resource from `FILE` (a JSON or YAML mapping of etcd key to value) instead of etcd, and print the outputs"},
		&cli.BoolFlag{Name: fDiff, Usage: "with --mock-data: print a unified diff against each current dest instead of the output"},
	}
}

// errMockData marks a --mock-data file that cannot be used.
var errMockData = errors.New("mock data")

// loadMockData reads a JSON or YAML mapping of etcd key to value. Nested
// mappings are keys joined with "/" ({"services": {"web": {"a": 1}}} is
// /services/web/a); a key without a leading "/" gets one. Numbers and
// booleans are their text; null and lists are errors.
func loadMockData(file string) (map[string]string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errMockData, err)
	}
	var doc any
	if json.Valid(b) {
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		err = d.Decode(&doc)
	} else {
		err = yaml.Unmarshal(b, &doc)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", errMockData, file, err)
	}
	out := map[string]string{}
	if doc == nil {
		return out, nil
	}
	if err := flatten("", doc, out); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", errMockData, file, err)
	}
	return out, nil
}

func flatten(prefix string, v any, out map[string]string) error {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if err := flatten(joinKey(prefix, k), x, out); err != nil {
				return err
			}
		}
	case map[any]any:
		for k, x := range v {
			if err := flatten(joinKey(prefix, fmt.Sprint(k)), x, out); err != nil {
				return err
			}
		}
	case nil:
		return fmt.Errorf("%s: value is null (write \"\" for an empty value)", prefix)
	case []any:
		return fmt.Errorf("%s: value is a list; values are strings (a JSON list is a string: '[\"a\"]')", prefix)
	default:
		if prefix == "" {
			return fmt.Errorf("want a mapping of key to value, got %T", v)
		}
		out[prefix] = fmt.Sprint(v)
	}
	return nil
}

func joinKey(prefix, k string) string {
	if prefix == "" {
		if strings.HasPrefix(k, "/") {
			return k
		}
		return "/" + k
	}
	return prefix + "/" + k
}

// mockSource is the engine's Source for data: one tree per directory read,
// holding the keys of data inside it.
func mockSource(data map[string]string, dirs []string) *etcd.Trees {
	src := &etcd.Trees{Trees: map[string]*kv.Tree{}}
	for _, d := range dirs {
		var pairs []kv.Pair
		for k, v := range data {
			if kv.Contains(d, k) {
				pairs = append(pairs, kv.Pair{Key: k, Value: v})
			}
		}
		t := kv.NewTree()
		t.Reset(pairs)
		src.Trees[d] = t
	}
	return src
}

// renderMock renders every resource of eng from the --mock-data file and
// prints each output (or its diff against dest with --diff). It fails when a
// resource fails to render (a key the file lacks, a broken output_format) or
// a guard would refuse it.
func renderMock(c *cli.Context, eng *engine.Engine) error {
	data, err := loadMockData(c.String(fMockData))
	if err != nil {
		return cli.Exit(err, exitUsage)
	}
	src := mockSource(data, eng.Dirs())
	bad := 0
	for _, r := range eng.Resources() {
		cand := eng.Prepare(r, src)
		if !printMock(c.App.Writer, c.Bool(fDiff), cand) {
			bad++
		}
	}
	if bad > 0 {
		return cli.Exit(fmt.Sprintf("%d of %d resources do not render from %s", bad, len(eng.Resources()), c.String(fMockData)), exitFailed)
	}
	return nil
}

// printMock prints one candidate and reports whether it rendered and passed
// its guards.
func printMock(w io.Writer, diff bool, cand engine.Candidate) bool {
	r := cand.Res
	fmt.Fprintf(w, "==> %s -> %s\n", r.Name, r.Dest)
	if cand.Err != nil {
		fmt.Fprintf(w, "failed: %v\n\n", cand.Err)
		return false
	}
	switch {
	case !diff:
		fmt.Fprint(w, string(cand.Data))
		if len(cand.Data) > 0 && cand.Data[len(cand.Data)-1] != '\n' {
			fmt.Fprintln(w)
		}
	default:
		cur, err := os.ReadFile(r.Dest)
		if err == nil && bytes.Equal(cur, cand.Data) {
			fmt.Fprintln(w, "(same as dest)")
			break
		}
		d, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
			A: difflib.SplitLines(string(cur)), B: difflib.SplitLines(string(cand.Data)),
			FromFile: r.Dest, ToFile: r.Dest + " (rendered)", Context: 3})
		fmt.Fprint(w, d)
	}
	if cand.Refused != nil {
		fmt.Fprintf(w, "%v\n\n", cand.Refused)
		return false
	}
	fmt.Fprintln(w)
	return true
}
