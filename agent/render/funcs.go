package render

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/confwatch/confwatch/agent/kv"
)

// confdFuncs are confd's functions that do not read the store
// (resource/template/template_funcs.go, newFuncMap), same names, same
// semantics. Functions confd declares as returning only a value but that can
// panic (div, mod) return an error instead; text/template turned confd's
// panic into the same execution error.
var confdFuncs = template.FuncMap{
	"base":           path.Base,
	"split":          strings.Split,
	"json":           unmarshalJSONObject,
	"jsonArray":      unmarshalJSONArray,
	"dir":            path.Dir,
	"map":            createMap,
	"getenv":         getenv,
	"join":           strings.Join,
	"datetime":       time.Now,
	"toUpper":        strings.ToUpper,
	"toLower":        strings.ToLower,
	"contains":       strings.Contains,
	"replace":        strings.Replace,
	"trimSuffix":     strings.TrimSuffix,
	"lookupIP":       lookupIP,
	"lookupIPV4":     lookupIPV4,
	"lookupIPV6":     lookupIPV6,
	"lookupSRV":      lookupSRV,
	"fileExists":     fileExists,
	"base64Encode":   base64Encode,
	"base64Decode":   base64Decode,
	"parseBool":      parseBool,
	"reverse":        reverse,
	"sortByLength":   sortByLength,
	"sortKVByLength": sortKVByLength,
	"add":            func(a, b int) int { return a + b },
	"sub":            func(a, b int) int { return a - b },
	"div":            div,
	"mod":            mod,
	"mul":            func(a, b int) int { return a * b },
	"seq":            seq,
	"atoi":           atoi,
}

// funcMap returns every function: confd's, the fork's extras and the store
// functions bound to b.
func funcMap(b *binding) template.FuncMap {
	m := make(template.FuncMap, len(confdFuncs)+len(extraFuncs)+7)
	maps.Copy(m, extraFuncs)
	maps.Copy(m, confdFuncs)
	maps.Copy(m, storeFuncs(b))
	return m
}

// Funcs returns the function map bound to store (a nil store is an empty one).
func Funcs(store kv.Store) template.FuncMap {
	return funcMap(&binding{store: orEmpty(store)})
}

// FuncNames lists every function name, sorted.
func FuncNames() []string {
	return slices.Sorted(maps.Keys(funcMap(&binding{})))
}

var errDivZero = errors.New("integer divide by zero")

func div(a, b int) (int, error) {
	if b == 0 {
		return 0, errDivZero
	}
	return a / b, nil
}

func mod(a, b int) (int, error) {
	if b == 0 {
		return 0, errDivZero
	}
	return a % b, nil
}

// seq returns first, first+1, ..., last (inclusive); nil if first > last.
// More than MaxSeq elements is an error (an etcd value as the count must not
// exhaust memory).
func seq(first, last int) ([]int, error) {
	if first > last {
		return nil, nil
	}
	n := uint64(last) - uint64(first) // no overflow: counts by n, not to last
	if n >= MaxSeq {
		return nil, fmt.Errorf("seq %d %d: more than %d elements", first, last, MaxSeq)
	}
	arr := make([]int, n+1)
	for k := range arr {
		arr[k] = first + k
	}
	return arr, nil
}

// reverse reverses a []string or an unnamed []kv.Pair in place and returns
// it; any other value (including Pairs, which gets returns) is returned
// untouched, as in confd.
func reverse(values any) any {
	switch v := values.(type) {
	case []string:
		slices.Reverse(v)
	case []kv.Pair:
		slices.Reverse(v)
	}
	return values
}

type byLength []string

func (s byLength) Len() int           { return len(s) }
func (s byLength) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }
func (s byLength) Less(i, j int) bool { return len(s[i]) < len(s[j]) }

// sortByLength sorts values in place, shortest first, with confd's
// (unstable) sort.Sort, and returns it.
func sortByLength(values []string) []string {
	sort.Sort(byLength(values))
	return values
}

type byLengthKV []kv.Pair

func (s byLengthKV) Len() int           { return len(s) }
func (s byLengthKV) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }
func (s byLengthKV) Less(i, j int) bool { return len(s[i].Key) < len(s[j].Key) }

// sortKVByLength sorts pairs in place by key length, shortest first, with
// confd's (unstable) sort.Sort, and returns them as an unnamed slice.
func sortKVByLength(values []kv.Pair) []kv.Pair {
	sort.Sort(byLengthKV(values))
	return values
}

// getenv returns the variable's value; if it is unset or empty, the first
// default, else "".
func getenv(key string, def ...string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	if len(def) > 0 {
		return def[0]
	}
	return ""
}

// createMap builds a map from key, value, key, value ...; keys must be
// strings and the count even.
func createMap(values ...any) (map[string]any, error) {
	if len(values)%2 != 0 {
		return nil, errors.New("invalid map call")
	}
	dict := make(map[string]any, len(values)/2)
	for i := 0; i < len(values); i += 2 {
		key, ok := values[i].(string)
		if !ok {
			return nil, errors.New("map keys must be strings")
		}
		dict[key] = values[i+1]
	}
	return dict, nil
}

// unmarshalJSONObject decodes a JSON object ("null" gives a nil map).
func unmarshalJSONObject(data string) (map[string]any, error) {
	var ret map[string]any
	err := json.Unmarshal([]byte(data), &ret)
	return ret, err
}

// unmarshalJSONArray decodes a JSON array ("null" gives a nil slice).
func unmarshalJSONArray(data string) ([]any, error) {
	var ret []any
	err := json.Unmarshal([]byte(data), &ret)
	return ret, err
}

// fileExists is confd's util.IsFileExist: false only if stat says the file
// does not exist (a permission error counts as existing).
func fileExists(p string) bool {
	_, err := os.Stat(p)
	return !os.IsNotExist(err)
}

func base64Encode(data string) string {
	return base64.StdEncoding.EncodeToString([]byte(data))
}

// base64Decode decodes standard, padded base64.
func base64Decode(data string) (string, error) {
	s, err := base64.StdEncoding.DecodeString(data)
	return string(s), err
}
