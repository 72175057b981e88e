// Package hostport checks that a string is exactly one network address,
// HOST:PORT, and nothing else: what a template may write into `server X;`
// and what a sidekick may register.
package hostport

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Problem says why s is not HOST:PORT, or "" if it is one. HOST is an IPv4
// address in dotted decimal, an IPv6 address in brackets (no zone), or a DNS
// name: dot-separated labels of letters, digits, '-' and '_', each 1-63
// bytes and not starting or ending with '-', at most 253 bytes in all, the
// last label not all digits (1.2.3 and 1.2.3.256 are refused, not taken for
// names). PORT is 1-65535 in decimal, at most 5 digits. The reason never
// quotes s (it may be a secret), at most one offending byte of it.
func Problem(s string) string {
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
