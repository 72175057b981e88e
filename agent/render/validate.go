package render

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/confwatch/confwatch/agent/kv"
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
	return fmt.Sprintf("%s: %s: %s: %s", e.Fn, ErrInvalidValue, who, e.Reason)
}

func (e *valueError) Unwrap() error { return ErrInvalidValue }

// hostport and mustMatch are store functions (store.go) so that, on a
// refusal, the binding's store can be searched for the key holding the
// value and the error name it. They take a string or a kv.Pair (then the
// pair's key is named) and return the value unchanged.

// hostport returns v if it is exactly HOST:PORT, HOST being an IPv4 address,
// a bracketed IPv6 address without zone, or a DNS name (letters, digits,
// '-' and '_' in dot-separated labels of at most 63 bytes, not starting or
// ending with '-'; at most 253 bytes), and PORT 1-65535 in decimal. Nothing
// else passes: no space, ';', brace, quote or newline can reach the output.
func (b *binding) hostport(v any) (string, error) {
	key, s, err := valueOf("hostport", v)
	if err != nil {
		return "", err
	}
	if reason := hostPortProblem(s); reason != "" {
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

// hostPortProblem says why s is not HOST:PORT, or "" if it is one.
func hostPortProblem(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isHostPortByte(c) {
			return fmt.Sprintf("byte %q at offset %d is not allowed in host:port", c, i)
		}
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "no :port"
	}
	host, port := s[:i], s[i+1:]
	if p := portProblem(port); p != "" {
		return p
	}
	if strings.HasPrefix(host, "[") {
		return ipv6Problem(host)
	}
	if strings.Contains(host, ":") {
		return "an IPv6 address must be in brackets: [addr]:port"
	}
	return hostProblem(host)
}

func isHostPortByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']'
}

func portProblem(port string) string {
	if port == "" || len(port) > 5 || strings.Trim(port, "0123456789") != "" {
		return "the port is not a decimal number of at most 5 digits"
	}
	if n, _ := strconv.Atoi(port); n < 1 || n > 65535 {
		return "the port is not in 1-65535"
	}
	return ""
}

func ipv6Problem(host string) string {
	inner, ok := strings.CutSuffix(host[1:], "]")
	if !ok {
		return "no ] after an IPv6 address"
	}
	a, err := netip.ParseAddr(inner)
	if err != nil || !a.Is6() || a.Zone() != "" {
		return "not an IPv6 address in brackets"
	}
	return ""
}

// hostProblem checks an IPv4 address or a DNS name; a name whose last label
// is all digits must be an IPv4 address (1.2.3 and 1.2.3.256 are refused).
func hostProblem(host string) string {
	if host == "" {
		return "no host before :port"
	}
	if len(host) > 253 {
		return "the host name is longer than 253 bytes"
	}
	labels := strings.Split(host, ".")
	if last := labels[len(labels)-1]; last != "" && strings.Trim(last, "0123456789") == "" {
		if a, err := netip.ParseAddr(host); err != nil || !a.Is4() {
			return "not an IPv4 address"
		}
		return ""
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' ||
			strings.ContainsAny(l, "[]") {
			return "not a DNS name (empty, too long or badly placed '-' in a label, or a bracket)"
		}
	}
	return ""
}
