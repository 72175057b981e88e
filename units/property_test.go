package units

import (
	"math/rand"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzSpec builds a spec from arbitrary strings; which fields they land
// in depends on sel, so one fuzz input exercises several options.
func fuzzSpec(sel uint8, a, b, c string) Spec {
	s := DefaultSpec()
	if sel&1 != 0 {
		s.Flavor = FlavorFleet
	}
	switch sel >> 1 % 8 {
	case 0:
		s.Service, s.LBName = a, b
	case 1:
		s.Runtime, s.BackendExec = RuntimeExec, []string{"/usr/bin/" + a, b, c}
	case 2:
		s.BackendExec, s.BackendImage = []string{a, b}, c
	case 3:
		s.EnvironmentFile, s.AdvertiseEnv, s.HealthPath = "/etc/"+a, b, "/"+c
	case 4:
		s.Confwatch, s.ConfDir, s.KeyPrefix = "/opt/"+a, "/etc/"+b, "/"+c
	case 5:
		s.Endpoints, s.CertFile, s.AdvertiseIP = []string{a, b}, "/"+c, strings.TrimSpace(b)
	case 6:
		s.Flavor, s.MachineMetadata, s.LBConflicts = FlavorFleet, []string{a + "=" + b}, []string{c}
	default:
		s.Restart, s.EtcdUnit, s.RuntimePath = a, b, "/"+c
	}
	return s
}

// checkSpec: Generate either fails with a clear error or produces units
// that parse back to exactly the intended options and pass Lint.
// inputs are the raw strings used, so that a "%!" they contain is not
// taken for a formatting mistake.
func checkSpec(t *testing.T, spec Spec, inputs ...string) {
	t.Helper()
	files, err := Generate(spec)
	if err != nil {
		msg := err.Error()
		badFormat := strings.Contains(msg, "%!") && !strings.Contains(strings.Join(inputs, ""), "%!")
		if !strings.HasPrefix(msg, "generate units: ") || badFormat || !utf8.ValidString(msg) {
			t.Fatalf("unclear error %q", msg)
		}
		return
	}
	checkRoundTrip(t, spec, files)
	for _, f := range files[:3] {
		for _, fd := range Lint(f.Name, f.Data) {
			t.Fatalf("lint: %v\n%s", fd, f.Data)
		}
	}
}

func FuzzGenerate(f *testing.F) {
	for _, seed := range [][3]string{
		{"apache", "nginx_lb", "x"}, {"my app", "lb\nExecStart=/bin/evil", "%i"},
		{"a$b", `"quoted" \ back`, ";"}, {"100%", "${HOME}", "$$"}, {"\x00", "\r", "\t"},
		{"", "", ""}, {"\xff", "é", "a=b=c"}, {"web", "role=web", "apache@*.service"},
	} {
		for sel := range 16 {
			f.Add(uint8(sel), seed[0], seed[1], seed[2])
		}
	}
	f.Fuzz(func(t *testing.T, sel uint8, a, b, c string) {
		checkSpec(t, fuzzSpec(sel, a, b, c), a, b, c)
	})
}

// TestGenerateProperty draws random values from an alphabet of
// characters that matter to unit files and to systemd's command lines.
func TestGenerateProperty(t *testing.T) {
	alphabet := []rune("aZ09_-.:/@ %$\"'\\;{}=*?[]#é")
	rng := rand.New(rand.NewSource(1))
	word := func() string {
		var b strings.Builder
		for range rng.Intn(12) {
			b.WriteRune(alphabet[rng.Intn(len(alphabet))])
		}
		if rng.Intn(20) == 0 { // now and then a character no unit file may carry
			b.WriteString([]string{"\n", "\r", "\x00", "\t", "\xff"}[rng.Intn(5)])
		}
		return b.String()
	}
	ok := 0
	for range 20000 {
		a, b, c := word(), word(), word()
		spec := fuzzSpec(uint8(rng.Intn(256)), a, b, c)
		if _, err := Generate(spec); err == nil {
			ok++
		}
		checkSpec(t, spec, a, b, c)
	}
	if ok < 1000 {
		t.Errorf("only %d of 20000 random specs generated: the property is barely exercised", ok)
	}
	t.Logf("%d of 20000 random specs generated units", ok)
}
