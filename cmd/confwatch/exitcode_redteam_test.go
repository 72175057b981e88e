package main

import (
	"testing"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestRejectedCredentialsAreExit2NotUnreachable: README, Troubleshooting: "`render`
// exits 3 only when etcd did not answer, 1 when it refused". etcd answers
// and refuses: a wrong password, an unknown user. Not 3 (that would send the
// operator after the network instead of the credentials): confwatch takes
// credentials etcd rejects as a configuration it cannot use, exit 2 (the
// README's "2 bad configuration"), for render and for the agent alike.
func TestRejectedCredentialsAreExit2NotUnreachable(t *testing.T) {
	srv := testetcd.Start(t)
	putClassic(t, srv)
	srv.EnableAuth(t, "cw", "secret", "/services/")
	for name, creds := range map[string][]string{
		"wrong password": {"--username", "cw", "--password", "wrong"},
		"unknown user":   {"--username", "nobody", "--password", "secret"},
	} {
		t.Run(name, func(t *testing.T) {
			d := newConfd(t)
			d.classic(t, "")
			for _, cmd := range []string{"render", "run"} {
				code, out, errs := cwBounded(t, d.args(srv.Endpoint, append([]string{cmd}, creds...)...)...)
				if code != exitUsage {
					t.Fatalf("%s: exit %d, want %d\n%s%s", cmd, code, exitUsage, out, errs)
				}
				contains(t, cmd+" stderr", out+errs, "authentication failed")
			}
		})
	}
}
