package render

import (
	"path"
	"slices"
	"strings"
	"text/template"

	"github.com/confwatch/confwatch/agent/kv"
)

// Pairs is what gets returns, like memkv's KVPairs: a named slice type.
// The name matters for exact compatibility: confd's reverse only reverses
// []string and an unnamed []KVPair, so `reverse (gets ...)` returns the pairs
// unreversed in confd, and here; sortKVByLength accepts Pairs and returns an
// unnamed []kv.Pair, which reverse does reverse.
type Pairs []kv.Pair

// binding is the store the store functions of one template clone read.
type binding struct {
	store kv.Store
	inc   *includer // resolves include; nil: include fails
	stack []string  // files being executed, outermost first (for include)
	max   int64     // output bound of the render in progress (an include gets the same)
}

// storeFuncs returns memkv's functions bound to b.
func storeFuncs(b *binding) template.FuncMap {
	return template.FuncMap{
		"exists":  b.exists,
		"include": b.include,
		"get":     b.get,
		"gets":    b.gets,
		"getv":    b.getv,
		"getvs":   b.getvs,
		"ls":      b.ls,
		"lsdir":   b.lsdir,
		// validate.go: they name the key of a refused value
		"hostport":  b.hostport,
		"mustMatch": b.mustMatch,
		"repeat":    b.repeat,
	}
}

// repeat is the fork's repeat, bounded to MaxRepeat and to the render's
// max_output: a string longer than the output may hold is refused before
// it is built (a count from etcd with max_output = "1MiB" built 64 MiB).
func (b *binding) repeat(n int, s string) (string, error) {
	limit := int64(MaxRepeat)
	if b.max > 0 {
		limit = min(limit, b.max)
	}
	return repeat(n, s, limit)
}

// exists reports whether key is set.
func (b *binding) exists(key string) bool {
	_, ok := b.store.Get(key)
	return ok
}

// get returns the pair for key, or an error "key does not exist: KEY".
func (b *binding) get(key string) (kv.Pair, error) {
	v, ok := b.store.Get(key)
	if !ok {
		return kv.Pair{}, &keyError{Key: key, Err: ErrNotExist}
	}
	return kv.Pair{Key: key, Value: v}, nil
}

// getv returns the value of key; if key is missing, the first default if one
// is given (even ""), else the error of get. Extra defaults are ignored.
func (b *binding) getv(key string, def ...string) (string, error) {
	v, ok := b.store.Get(key)
	if ok {
		return v, nil
	}
	if len(def) > 0 {
		return def[0], nil
	}
	return "", &keyError{Key: key, Err: ErrNotExist}
}

// gets returns the pairs whose key matches the path.Match pattern, sorted by
// key (never nil). A malformed pattern is an error unless the store is empty
// (memkv only notices it while matching a key).
func (b *binding) gets(pattern string) (Pairs, error) {
	out := Pairs{}
	err := b.glob(pattern, func(k, v string) { out = append(grow(out), kv.Pair{Key: k, Value: v}) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// getvs returns the values of the keys matching pattern, sorted as strings
// (so "10.0.0.10" comes before "10.0.0.2"). Errors as gets.
func (b *binding) getvs(pattern string) ([]string, error) {
	out := []string{}
	err := b.glob(pattern, func(_, v string) { out = append(grow(out), v) })
	if err != nil {
		return []string{}, err
	}
	slices.Sort(out)
	return out, nil
}

// grow doubles a full slice's capacity: for results of 100,000 values this
// allocates and copies less than append's 1.25x growth of large slices.
func grow[S ~[]E, E any](s S) S {
	if len(s) < cap(s) {
		return s
	}
	return slices.Grow(s, len(s)+8)
}

// glob calls fn, in key order, for each key matching pattern. Only the keys
// starting with the pattern's literal prefix (the text before its first
// meta character) are visited; `*` never matches '/'.
func (b *binding) glob(pattern string, fn func(k, v string)) error {
	if _, err := path.Match(pattern, ""); err != nil {
		if isEmpty(b.store) {
			return nil
		}
		return err
	}
	i := strings.IndexAny(pattern, `*?[\`)
	switch {
	case i < 0: // no meta character: one key at most
		if v, ok := b.store.Get(pattern); ok {
			fn(pattern, v)
		}
	case i == len(pattern)-1 && pattern[i] == '*': // "prefix*", the common case
		b.store.Scan(pattern[:i], func(k, v string) bool {
			if strings.IndexByte(k[i:], '/') < 0 {
				fn(k, v)
			}
			return true
		})
	default:
		b.store.Scan(pattern[:i], func(k, v string) bool {
			if ok, _ := path.Match(pattern, k); ok {
				fn(k, v)
			}
			return true
		})
	}
	return nil
}

// isEmpty reports whether s holds no key at all.
func isEmpty(s kv.Store) bool {
	empty := true
	s.Scan("", func(string, string) bool { empty = false; return false })
	return empty
}

// emptyStore is the store a nil kv.Store stands for.
type emptyStore struct{}

func (emptyStore) Get(string) (string, bool)              { return "", false }
func (emptyStore) Scan(string, func(string, string) bool) {}

func orEmpty(s kv.Store) kv.Store {
	if s == nil {
		return emptyStore{}
	}
	return s
}
