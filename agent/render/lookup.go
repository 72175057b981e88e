package render

import (
	"fmt"
	"net"
	"sort"
	"strings"
)

// lookupIP resolves a host name to its addresses as strings, sorted as
// strings so DNS round-robin does not cause spurious renders. Any lookup
// error gives nil (confd hides it).
func lookupIP(host string) []string {
	ips, err := net.LookupIP(host)
	if err != nil {
		return nil
	}
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = ip.String()
	}
	sort.Strings(out)
	return out
}

// lookupIPV4 is lookupIP restricted to addresses containing "." (which, as in
// confd, includes IPv4-mapped IPv6 addresses).
func lookupIPV4(host string) []string { return containing(lookupIP(host), ".") }

// lookupIPV6 is lookupIP restricted to addresses containing ":".
func lookupIPV6(host string) []string { return containing(lookupIP(host), ":") }

// containing keeps the addresses containing sep; nil if none.
func containing(addrs []string, sep string) []string {
	var out []string
	for _, a := range addrs {
		if strings.Contains(a, sep) {
			out = append(out, a)
		}
	}
	return out
}

// lookupSRV returns the SRV records of _service._proto.name sorted as confd
// does, by the string Target+Port+Priority+Weight (decimal, no separator);
// an empty list on error.
func lookupSRV(service, proto, name string) []*net.SRV {
	_, addrs, err := net.LookupSRV(service, proto, name)
	if err != nil {
		return []*net.SRV{}
	}
	sortSRV(addrs)
	return addrs
}

type bySRVString []*net.SRV

func (s bySRVString) Len() int           { return len(s) }
func (s bySRVString) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }
func (s bySRVString) Less(i, j int) bool { return srvString(s[i]) < srvString(s[j]) }

func srvString(r *net.SRV) string {
	return fmt.Sprintf("%s%d%d%d", r.Target, r.Port, r.Priority, r.Weight)
}

// sortSRV sorts with confd's (unstable) sort.Sort.
func sortSRV(addrs []*net.SRV) { sort.Sort(bySRVString(addrs)) }
