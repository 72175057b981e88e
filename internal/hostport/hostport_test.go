package hostport

import (
	"strings"
	"testing"
)

func TestHostPort(t *testing.T) {
	good := []string{"1.2.3.4:80", "10.0.0.1:65535", "[::1]:8080", "[2001:db8::1]:443",
		"backend-1.example.com:8080", "web_1:1", "localhost:9"}
	bad := []string{"1.2.3.4:80; } server { listen 9999; } upstream d { server 127.0.0.1:1", "1.2.3.4", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:+80", "1.2.3.4:80 ",
		" 1.2.3.4:80", "1.2.3.4:80\n", "a:80;", "{a}:80", "::1:80", "[::1]80", "[1.2.3.4]:80",
		"[fe80::1%eth0]:80", "1.2.3:80", "1.2.3.256:80", ":80", "-a.com:80", "a..com:80",
		"a.com:", "a.com:123456", "[::1:80", "a]:80", strings.Repeat("a", 64) + ".com:80", "é.com:80", ""}
	for _, s := range good {
		if p := Problem(s); p != "" {
			t.Errorf("%q refused: %s", s, p)
		}
	}
	for _, s := range bad {
		if Problem(s) == "" {
			t.Errorf("%q accepted", s)
		}
	}
}
