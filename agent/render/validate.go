package render

import (
	"errors"
	"fmt"
	"regexp"
	"sync"

	"github.com/confwatch/confwatch/agent/kv"
	"github.com/confwatch/confwatch/internal/hostport"
)

// ErrInvalidValue is wrapped by the error hostport and mustMatch return for a
// value they refuse: errors.Is(err, ErrInvalidValue) holds for Execute's
// error, and its *Error names the key in Key.
var ErrInvalidValue = errors.New("invalid value")

// valueError is a refused value: the key holding it (if one does) and why,
// never the value itself (values may be secrets; render errors are logged
// and shown in STATUS=).
type valueError struct {
	Fn     string // the refusing function
	Key    string // the key whose value it is; "" when no key holds it
	Others int    // further keys holding the same value
	Reason string
}

func (e *valueError) Error() string {
	who := "a value no key holds"
	if e.Key != "" {
		who = "the value of " + e.Key
		if e.Others > 0 {
			who += fmt.Sprintf(" (and of %d other keys)", e.Others)
		}
	}
	// No e.Fn: text/template says "error calling hostport: " already.
	return fmt.Sprintf("%s: %s: %s", ErrInvalidValue, who, e.Reason)
}

func (e *valueError) Unwrap() error { return ErrInvalidValue }

// hostport and mustMatch are store functions (store.go) so that, on a
// refusal, the binding's store can be searched for the key holding the
// value and the error name it. They take a string or a kv.Pair (then the
// pair's key is named) and return the value unchanged.

// hostport returns v if it is exactly HOST:PORT as hostport.Problem says
// (an IPv4 address, a bracketed IPv6 address or a DNS name, and a port
// 1-65535): no space, ';', brace, quote or newline can reach the output.
func (b *binding) hostport(v any) (string, error) {
	key, s, err := valueOf("hostport", v)
	if err != nil {
		return "", err
	}
	if reason := hostport.Problem(s); reason != "" {
		return "", b.refuse("hostport", key, s, reason)
	}
	return s, nil
}

// mustMatch returns v if the regular expression pattern (RE2 syntax)
// matches all of it, not only a part: "[a-z]+" refuses "ab;c".
func (b *binding) mustMatch(pattern string, v any) (string, error) {
	key, s, err := valueOf("mustMatch", v)
	if err != nil {
		return "", err
	}
	re, err := wholeMatch(pattern)
	if err != nil {
		return "", fmt.Errorf("mustMatch: %w", err)
	}
	if !re.MatchString(s) {
		return "", b.refuse("mustMatch", key, s, fmt.Sprintf("does not match %q as a whole", pattern))
	}
	return s, nil
}

// valueOf accepts a string or a pair.
func valueOf(fn string, v any) (key, s string, err error) {
	switch x := v.(type) {
	case string:
		return "", x, nil
	case kv.Pair:
		return x.Key, x.Value, nil
	}
	return "", "", fmt.Errorf("%s: want a string or a key-value pair, got %T", fn, v)
}

// refuse builds the error for value s, finding the key when the caller
// passed a bare string: the first key (in key order) holding exactly s.
func (b *binding) refuse(fn, key, s, reason string) error {
	e := &valueError{Fn: fn, Key: key, Reason: reason}
	if key == "" && b.store != nil {
		b.store.Scan("", func(k, v string) bool {
			if v == s {
				if e.Key == "" {
					e.Key = k
				} else {
					e.Others++
				}
			}
			return true
		})
	}
	return e
}

var (
	reMu    sync.Mutex
	reCache = map[string]*regexp.Regexp{}
)

// maxCachedRegexps bounds reCache: patterns are template text, so few.
const maxCachedRegexps = 256

// wholeMatch compiles ^(?:pattern)$, cached: a range over many keys
// compiles it once.
func wholeMatch(pattern string) (*regexp.Regexp, error) {
	reMu.Lock()
	defer reMu.Unlock()
	if re, ok := reCache[pattern]; ok {
		return re, nil
	}
	re, err := regexp.Compile(`^(?:` + pattern + `)$`)
	if err != nil {
		return nil, err
	}
	if len(reCache) < maxCachedRegexps {
		reCache[pattern] = re
	}
	return re, nil
}
