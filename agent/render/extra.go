package render

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"unicode"
)

// extraFuncs are functions of the maintained fork abtreece/confd (v0.41),
// with the fork's names and semantics (include, which needs the template
// directory, is in include.go). Left out: lookupIfaceIPV4/IPV6 (the
// fork's versions print "<nil>" or an IPv4 address for interfaces without the
// family), the case converters and pluck.
var extraFuncs = template.FuncMap{
	"hostname":        os.Hostname,
	"default":         dfault,
	"ternary":         ternary,
	"coalesce":        coalesce,
	"empty":           isZero,
	"toJson":          toJSON,
	"fromJson":        fromJSON,
	"toPrettyJson":    toPrettyJSON,
	"indent":          indent,
	"nindent":         func(n int, s string) string { return "\n" + indent(n, s) },
	"quote":           func(s string) string { return fmt.Sprintf("%q", s) },
	"squote":          func(s string) string { return "'" + s + "'" },
	"regexMatch":      regexp.MatchString,
	"regexFind":       regexFind,
	"regexReplaceAll": regexReplaceAll,
	"trimPrefix":      strings.TrimPrefix,
	"nospace":         nospace,
	"dict":            createMap,
	"list":            func(v ...any) []any { return v },
	"hasKey":          func(m map[string]any, k string) bool { _, ok := m[k]; return ok },
	"keys":            func(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) },
	"values":          values,
	"append":          func(l []any, v any) []any { return append(l, v) },
	"sha256sum":       func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) },
}

// isZero reports whether v is nil, false, zero, or an empty string, slice,
// array or map, or a nil pointer or interface.
func isZero(v any) bool {
	if v == nil {
		return true
	}
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.String, reflect.Array, reflect.Slice, reflect.Map:
		return r.Len() == 0
	case reflect.Bool:
		return !r.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return r.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return r.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return r.Float() == 0
	case reflect.Pointer, reflect.Interface:
		return r.IsNil()
	}
	return false
}

// dfault returns val unless it is empty (isZero), else def.
func dfault(def, val any) any {
	if isZero(val) {
		return def
	}
	return val
}

// ternary returns t if cond, else f (the condition last, for pipelines).
func ternary(t, f any, cond bool) any {
	if cond {
		return t
	}
	return f
}

// coalesce returns the first non-empty argument, or nil.
func coalesce(vals ...any) any {
	for _, v := range vals {
		if !isZero(v) {
			return v
		}
	}
	return nil
}

func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// fromJSON decodes any JSON value.
func fromJSON(s string) (any, error) {
	var v any
	err := json.Unmarshal([]byte(s), &v)
	return v, err
}

// toPrettyJSON marshals with a two-space indent.
func toPrettyJSON(v any) (string, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	return string(b), err
}

// indent prefixes every line of s with n spaces; "" stays "".
func indent(n int, s string) string {
	if s == "" {
		return ""
	}
	pad := strings.Repeat(" ", n)
	return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
}

func regexFind(pattern, s string) (string, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return "", err
	}
	return re.FindString(s), nil
}

// regexReplaceAll replaces every match of pattern in s by repl ($1 expands).
func regexReplaceAll(pattern, s, repl string) (string, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return "", err
	}
	return re.ReplaceAllString(s, repl), nil
}

// nospace removes every Unicode white space character.
func nospace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// values returns the map's values ordered by key.
func values(m map[string]any) []any {
	out := make([]any, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}

// repeat is strings.Repeat bounded to limit bytes; a negative count is an
// error (strings.Repeat panics).
func repeat(n int, s string, limit int64) (string, error) {
	if n < 0 {
		return "", fmt.Errorf("repeat %d: negative count", n)
	}
	if len(s) > 0 && int64(n) > limit/int64(len(s)) {
		return "", fmt.Errorf("repeat %d of %d bytes: more than %s", n, len(s), Size(limit))
	}
	return strings.Repeat(s, n), nil
}
