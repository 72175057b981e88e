package units

import (
	"strings"
	"testing"
)

// TestExecutablePathKeepsItsDollar: systemd substitutes variables in Exec*=
// arguments but executes the path as written, so a '$' in --confwatch must
// stay single ("$$" made systemd look for /opt/a$$b/confwatch; issue 13
// item 15), while '%' is doubled everywhere (specifiers are resolved in
// the whole line). TestGeneratedUnitsUnderSystemd runs it for real.
func TestExecutablePathKeepsItsDollar(t *testing.T) {
	s := DefaultSpec()
	s.Confwatch, s.AdvertiseIP = "/opt/a$b 100%/confwatch", "10.0.0.5"
	files, err := Generate(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		for _, l := range strings.Split(string(f.Data), "\n") {
			if strings.HasPrefix(l, "ExecStart=") && strings.Contains(l, "confwatch") {
				if want := `ExecStart="/opt/a$b 100%%/confwatch" `; !strings.HasPrefix(l, want) {
					t.Errorf("%s: %s\nwant it to start %s", f.Name, l, want)
				}
			}
		}
	}
}
