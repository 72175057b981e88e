package units

import (
	"strings"
	"testing"
)

func TestLint(t *testing.T) {
	const svc = "[Unit]\nDescription=x\n\n[Service]\nExecStart=/bin/true\n"
	tests := []struct {
		name, file, data string
		want             []string // substrings of the findings, in order; none = clean
	}{
		{"clean classic sidekick", "apache-discovery@.service", svc + "\n[X-Fleet]\nMachineOf=apache@%i.service\n", nil},
		{"deprecated keys accepted", "a@.service", svc + "[X-Fleet]\nX-ConditionMachineOf=b@%i.service\nX-ConditionMachineMetadata=role=web\n", nil},
		{"peer matches conflict glob (no %i expansion)", "apache-discovery@.service",
			svc + "[X-Fleet]\nMachineOf=apache@%i.service\nConflicts=apache@*.service\n",
			[]string{`7: fleet refuses this unit: peer "apache@%i.service" (MachineOf) matches conflict "apache@*.service"`}},
		{"deprecated peer matches deprecated conflict", "x.service",
			svc + "[X-Fleet]\nX-ConditionMachineOf=web@%i.service\nX-Conflicts=web*\n", []string{"peer"}},
		{"MachineID with Conflicts", "x.service", svc + "[X-Fleet]\nMachineID=abc\nConflicts=y*\n",
			[]string{"8: fleet refuses this unit: MachineID cannot be used with Conflicts"}},
		{"MachineID with Global", "x.service", svc + "[X-Fleet]\nX-ConditionMachineID=abc\nGlobal=yes\n", []string{"MachineID cannot be used with Global"}},
		{"MachineID with Replaces", "x.service", svc + "[X-Fleet]\nMachineID=abc\nReplaces=y.service\n", []string{"MachineID cannot be used with Replaces"}},
		{"MachineID with MachineOf", "x.service", svc + "[X-Fleet]\nMachineID=abc\nMachineOf=y.service\n", []string{"MachineID cannot be used with MachineOf"}},
		{"Global with MachineOf", "x.service", svc + "[X-Fleet]\nGlobal=true\nMachineOf=y.service\n", []string{"Global cannot be used with MachineOf"}},
		{"Global with Replaces", "x.service", svc + "[X-Fleet]\nGlobal=t\nReplaces=y.service\n", []string{"Global cannot be used with Replaces"}},
		{"Global false with MachineOf is fine", "x.service", svc + "[X-Fleet]\nGlobal=false\nMachineOf=y.service\n", nil},
		{"Global with Conflicts", "x.service", svc + "[X-Fleet]\nGlobal=true\nConflicts=y*\nMachineMetadata=role=lb\n",
			[]string{"8: fleet refuses this unit: Global cannot be used with Conflicts"}},
		{"Global with metadata is fine", "x.service", svc + "[X-Fleet]\nGlobal=true\nMachineMetadata=role=lb\n", nil},
		{"Conflicts with Replaces", "x.service", svc + "[X-Fleet]\nConflicts=y*\nReplaces=z.service\n", []string{"Conflicts cannot be used with Replaces"}},
		{"bad Global value", "x.service", svc + "[X-Fleet]\nGlobal=sometimes\n", []string{`Global="sometimes" is not a boolean`}},
		{"unknown key", "x.service", svc + "[X-Fleet]\nMachineOff=y.service\n", []string{`unknown [X-Fleet] key "MachineOff"`}},
		{"bad metadata", "x.service", svc + "[X-Fleet]\nMachineMetadata=role\nMachineMetadata=\"a=b\" \"c\"\n",
			[]string{`"role" is not key=value`, `"c" is not key=value`}},
		{"long line", "x.service", svc + "Environment=A=" + strings.Repeat("x", 2040) + "\n", []string{"6: line is 2054 bytes"}},
		{"no '='", "x.service", "[Unit]\nDescription=x\nBogus\n", []string{`3: line has no '='`}},
		{"garbage after header", "x.service", "[Unit] junk\nDescription=x\n", []string{`1: garbage after section header`}},
		{"option before any section", "x.service", "Description=x\n[Unit]\n", []string{`1: option outside any section`, `has no options`}},
		{"name without type", "apache", svc, []string{`not a unit file: unit name "apache" has no type suffix`}},
		{"README is not a unit file", "units/README.md", "# apache behind nginx\n\n- `apache@.service`: the backend\n",
			[]string{`not a unit file: unit name "README.md" has unknown type "md"`}},
		{"unknown type", "x.conf", svc, []string{`not a unit file`}},
		{"name starting with @", "@x.service", svc, []string{`starts with "@"`}},
		{"template of a non-template type", "x@.mount", svc, []string{`cannot be a template`}},
		{"bad character", "a b.service", svc, []string{`invalid character ' '`}},
		{"name too long", strings.Repeat("a", 250) + ".service", svc, []string{`more than 255`}},
		{"continuation lines keep line numbers", "x.service",
			"[Unit]\nDescription=a \\\n  b\n[X-Fleet]\nGlobal=maybe\n", []string{"5: Global"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Lint(tt.file, []byte(tt.data))
			if len(got) != len(tt.want) {
				t.Fatalf("got %d findings %v, want %d (%q)", len(got), got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if s := got[i].String(); !strings.Contains(s, w) || !strings.HasPrefix(s, tt.file+":") {
					t.Errorf("finding %d = %q, want it to contain %q", i, s, w)
				}
			}
		})
	}
}

// TestGenerateNeverForbiddenCombination: no flavor/option mix makes the
// sidekick carry a Conflicts= next to its MachineOf=, or the LB a Global=
// next to a peer or a Conflicts= (a global LB with lb-conflicts is an
// error), and every fleet set lints clean.
func TestGenerateNeverForbiddenCombination(t *testing.T) {
	for _, global := range []bool{false, true} {
		for _, conflicts := range [][]string{nil, {}, {"apache*"}, {"apache@*.service", "*discovery*"}} {
			s := DefaultSpec()
			s.Flavor, s.GlobalLB, s.LBConflicts = FlavorFleet, global, conflicts
			s.MachineMetadata, s.LBMachineMetadata = []string{"a=b"}, []string{"c=d"}
			files, err := Generate(s)
			if global && len(conflicts) > 0 {
				if err == nil || !strings.Contains(err.Error(), "lb-conflicts") {
					t.Errorf("global LB with conflicts %q: err = %v, want an lb-conflicts error", conflicts, err)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if lb := string(files[2].Data); global && strings.Contains(lb, "Conflicts=") {
				t.Errorf("global LB with Conflicts=:\n%s", lb)
			}
			for _, f := range files[:3] {
				if fs := Lint(f.Name, f.Data); len(fs) > 0 {
					t.Errorf("global=%v conflicts=%q: %v", global, conflicts, fs)
				}
			}
			side := string(files[1].Data)
			if !strings.Contains(side, "MachineOf=apache@%i.service") || strings.Contains(side, "Conflicts=") {
				t.Errorf("sidekick must have MachineOf and no Conflicts:\n%s", side)
			}
		}
	}
}
