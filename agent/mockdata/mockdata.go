// Package mockdata renders template resources from a file of etcd keys and
// values instead of etcd (`confwatch check --mock-data FILE`), as a
// configuration repository's CI would: no etcd, no change on disk.
package mockdata

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	yaml "go.yaml.in/yaml/v2"

	"github.com/confwatch/confwatch/agent/engine"
	"github.com/confwatch/confwatch/agent/etcd"
	"github.com/confwatch/confwatch/agent/kv"
)

// ErrInvalid is wrapped by every error of a data file that cannot be used.
var ErrInvalid = errors.New("mock data")

// Load reads a JSON or YAML mapping of etcd key to value. Nested
// mappings are keys joined with "/" ({"services": {"web": {"a": 1}}} is
// /services/web/a); a key without a leading "/" gets one. Numbers and
// booleans are their text; null and lists are errors.
func Load(file string) (map[string]string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
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
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, file, err)
	}
	out := map[string]string{}
	if doc == nil {
		return out, nil
	}
	if err := flatten("", doc, out); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, file, err)
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

// Source is the engine's Source for data: one tree per directory read,
// holding the keys of data inside it.
func Source(data map[string]string, dirs []string) *etcd.Trees {
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

// Render renders every resource of eng from data and prints each output (or,
// with diff, its unified diff against the current dest) to w. It returns how
// many resources failed to render (a key data lacks, a broken output_format)
// or would be refused by a guard.
func Render(w io.Writer, eng *engine.Engine, data map[string]string, diff bool) (bad int) {
	src := Source(data, eng.Dirs())
	for _, r := range eng.Resources() {
		if !Print(w, diff, eng.Prepare(r, src)) {
			bad++
		}
	}
	return bad
}

// Print prints one candidate and reports whether it rendered and passed
// its guards.
func Print(w io.Writer, diff bool, cand engine.Candidate) bool {
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
