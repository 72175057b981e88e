package units

import (
	"strings"
	"testing"
)

// TestFleetParity has one row per fleet rule Lint reimplements. Each row
// names the fleet source (github.com/coreos/fleet; go-systemd is the
// parser fleet calls) it was checked against. want: substrings of the
// findings in order; nil: fleet accepts the file and so must Lint.
//
// The Replaces rows: the api/units.go we could read predates Replaces
// (fleet 0.13); job/job.go and agent/state.go of that era have it. Those
// pairs are refused here in any case, as they contradict each other.
func TestFleetParity(t *testing.T) {
	const svc = "[Unit]\nDescription=x\n\n[Service]\nExecStart=/bin/true\n"
	xf := func(lines ...string) string { return svc + "[X-Fleet]\n" + strings.Join(lines, "\n") + "\n" }
	long := func(n int) string { return "[Unit]\nDescription=" + strings.Repeat("x", n-len("Description=")) + "\n" }
	tests := []struct {
		rule, file, data string
		want             []string
	}{
		// api/units.go ValidateName (systemd's unit_name_is_valid, partly).
		{"ValidateName: 256 bytes (fleet allows it, systemd does not)", strings.Repeat("a", 248) + ".service", svc, []string{"more than 255"}},
		{"ValidateName: 255 bytes", strings.Repeat("a", 247) + ".service", svc, nil},
		{"ValidateName: no '.'", "apache", svc, []string{"no type suffix"}},
		{"ValidateName: ends in '.'", "apache.", svc, []string{"no type suffix"}},
		{"ValidateName: unknown type", "x.foo", svc, []string{`unknown type "foo"`}},
		{"ValidateName: invalid character", "a%b.service", svc, []string{`invalid character '%'`}},
		{"ValidateName: starts with '@'", "@x.service", svc, []string{`starts with "@"`}},
		{"ValidateName: all of validUnitTypes", "x.slice", svc, nil},
		{"ValidateName: template and instance", "apache@.service", xf("Conflicts=apache@*.service"), nil},
		{"ValidateName: instance", "a/apache-discovery@8080.service", xf("MachineOf=apache@%i.service"), nil},
		{"systemd unit_name_is_valid: empty prefix (fleet allows it)", ".service", svc, []string{"only a type suffix"}},
		{"systemd unit_type_may_template", "x@.mount", svc, []string{"cannot be a template"}},
		// fleetctl/fleetctl.go unitNameMangle, unit/unit.go RecognizedUnitType.
		{"fleetctl: .target is mangled to .target.service", "x.target", xf("Global=true"), []string{`look for "x.target.service"`}},
		{"fleetctl: only with [X-Fleet]", "x.target", svc, nil},
		{"fleetctl: .automount", "x.automount", xf("Global=true"), nil},
		// go-systemd unit.Deserialize, from unit.NewUnitFile (unit/unit.go)
		// and api.ValidateOptions' round trip.
		{"Deserialize: line of 2047 bytes", "x.service", long(2047), nil},
		{"Deserialize: line of 2048 bytes (ErrLineTooLong)", "x.service", long(2048), []string{"2: line is 2048 bytes"}},
		{"Deserialize: CR ends the line", "x.service", strings.ReplaceAll(long(2047), "\n", "\r\n"), nil},
		{"Deserialize: option name without '='", "x.service", "[Unit]\nDescription=x\nBogus\n", []string{"3: line has no '='"}},
		{"Deserialize: garbage after section name", "x.service", "[Unit] junk\nDescription=x\n", []string{"1: garbage after section header"}},
		{"Deserialize: end of section not found", "x.service", "[Unit\nDescription=x\n", []string{"1: section header"}},
		{"Deserialize: option before any section", "x.service", "Description=x\n[Unit]\n", []string{"1: option outside any section", "has no options"}},
		{"Deserialize: continuation", "x.service", "[Unit]\nDescription=a \\\n  b\n[X-Fleet]\nGlobal=maybe\n", []string{"5: Global"}},
		{"Deserialize: '\\ ' does not continue (systemd: it does)", "x.service", "[Unit]\nDescription=a \\ \nAfter=b\n",
			[]string{"2: whitespace after the line-continuation"}},
		{"Deserialize: comments continue (systemd: never)", "x.service", "[Unit]\n# see \\\nDescription=a\n",
			[]string{"2: comment ends in", "has no options"}}, // fleet never sees Description=
		{"Deserialize: comment kept in a continued value (systemd drops it)", "x.service", "[Unit]\nDescription=a \\\n# b\n  c\n",
			[]string{"3: comment inside a continued value", "4: line has no '='"}},
		{"api set: options field empty", "x.service", "# nothing\n[Unit]\n", []string{"has no options"}},
		// job/job.go validRequirements, ValidateRequirements (fleetctl warns).
		{"ValidateRequirements: unknown key", "x.service", xf("MachineOff=y.service"), []string{`unknown [X-Fleet] key "MachineOff"`}},
		{"ValidateRequirements: keys are case-sensitive", "x.service", xf("machineof=y.service"), []string{`unknown [X-Fleet] key "machineof"`}},
		{"validRequirements: deprecated keys", "x@.service", xf("X-ConditionMachineOf=b@%i.service", "X-ConditionMachineMetadata=r=w"), nil},
		// unit/unit.go parseMultivalueLine; job/job.go RequiredTargetMetadata.
		{"RequiredTargetMetadata: not k=v", "x.service", xf("MachineMetadata=role", "MachineMetadata=a=b=c"),
			[]string{`"role" is not key=value`, `"a=b=c" is not key=value`}},
		{"parseMultivalueLine: several values", "x.service", xf(`MachineMetadata="a=b" "c=d"`), nil},
		{"parseMultivalueLine: space inside quotes", "x.service", xf(`MachineMetadata="a=b c" "d=e"`), nil},
		{"parseMultivalueLine: one bad value", "x.service", xf(`MachineMetadata="a=b" "c"`), []string{`"c" is not key=value`}},
		{"parseMultivalueLine: Conflicts values", "x.service", xf("MachineOf=web.service", `Conflicts="db*" "web*"`),
			[]string{`peer "web.service" (MachineOf) matches conflict "web*"`}},
		{"parseMultivalueLine: half-quoted value is literal", "x.service", xf("MachineOf=web.service", `Conflicts="web*`), nil},
		{"parseMultivalueLine: quoted Global", "x.service", xf(`Global="true"`, "MachineOf=y.service"), []string{"Global cannot be used with MachineOf"}},
		// job/job.go unitPrintf: %n %N %p %i only, no %%.
		{"unitPrintf: %i is expanded", "x@.service", xf("MachineOf=y@%i.service"), nil},
		{"unitPrintf: %H is not", "x.service", xf("MachineOf=%H.service"), []string{`"%H" stays literal`}},
		{"unitPrintf: no %%", "x.service", xf("MachineMetadata=disk=50%%"), []string{`"%%" stays literal`}},
		{"unitPrintf: a lone % is literal", "x.service", xf("MachineMetadata=disk=50%"), nil},
		// job/job.go Unit.IsGlobal, isTruthyValue.
		{"IsGlobal: last value wins (false)", "x.service", xf("Global=true", "Global=false", "MachineOf=y.service"), nil},
		{"IsGlobal: last value wins (true)", "x.service", xf("Global=false", "Global=true", "MachineOf=y.service"),
			[]string{"Global cannot be used with MachineOf"}},
		{"isTruthyValue: on", "x.service", xf("Global=on", "MachineID=abc"), []string{"MachineID cannot be used with Global"}},
		{"isTruthyValue: not a boolean", "x.service", xf("Global=sometimes"), []string{`Global="sometimes" is not a boolean`}},
		// api/units.go ValidateOptions ("unresolvable requirements").
		{"ValidateOptions: peer matches conflict, no %i expansion", "apache-discovery@.service",
			xf("MachineOf=apache@%i.service", "Conflicts=apache@*.service"), []string{`7: fleet refuses this unit: peer "apache@%i.service"`}},
		{"ValidateOptions: deprecated peer and conflict", "x.service", xf("X-ConditionMachineOf=web@%i.service", "X-Conflicts=web*"),
			[]string{`matches conflict "web*"`}},
		{"ValidateOptions: path.Match error is no match", "x.service", xf("MachineOf=web.service", "Conflicts=web["), nil},
		{"ValidateOptions: MachineOf with other Conflicts", "x@.service", xf("MachineOf=a@%i.service", "Conflicts=x@*.service"), nil},
		{"ValidateOptions: peer matches replace", "x.service", xf("MachineOf=web.service", "Replaces=web*"),
			[]string{`matches replace "web*"`}},
		{"ValidateOptions: MachineID with Peers", "x.service", xf("MachineID=abc", "MachineOf=y.service"), []string{"MachineID cannot be used with MachineOf"}},
		{"ValidateOptions: MachineID with Conflicts", "x.service", xf("MachineID=abc", "Conflicts=y*"), []string{"8: fleet refuses this unit: MachineID cannot be used with Conflicts"}},
		{"ValidateOptions: empty Conflicts= counts", "x.service", xf("MachineID=abc", "Conflicts="), []string{"MachineID cannot be used with Conflicts"}},
		{"RequiredTarget: X-ConditionMachineBootID", "x.service", xf("X-ConditionMachineBootID=abc", "Conflicts=y*"), []string{"MachineID cannot be used with Conflicts"}},
		{"ValidateOptions: MachineID with Global", "x.service", xf("X-ConditionMachineID=abc", "Global=yes"), []string{"MachineID cannot be used with Global"}},
		{"ValidateOptions: MachineID with Replaces", "x.service", xf("MachineID=abc", "Replaces=y.service"), []string{"MachineID cannot be used with Replaces"}},
		{"ValidateOptions: Global with Peers", "x.service", xf("Global=true", "MachineOf=y.service"), []string{"Global cannot be used with MachineOf"}},
		{"ValidateOptions: Global with Conflicts", "x.service", xf("Global=true", "Conflicts=y*"), []string{"Global cannot be used with Conflicts"}},
		{"ValidateOptions: Global with Replaces", "x.service", xf("Global=t", "Replaces=y.service"), []string{"Global cannot be used with Replaces"}},
		{"ValidateOptions: Conflicts with Replaces", "x.service", xf("Conflicts=y*", "Replaces=z.service"), []string{"Conflicts cannot be used with Replaces"}},
		{"ValidateOptions: Global with MachineMetadata", "x.service", xf("Global=true", "MachineMetadata=role=lb"), nil},
		{"ValidateOptions: MachineID with MachineMetadata", "x.service", xf("MachineID=abc", "MachineMetadata=role=lb"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			got := Lint(tt.file, []byte(tt.data))
			if len(got) != len(tt.want) {
				t.Fatalf("got %d findings %v, want %d (%q)", len(got), got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if s := got[i].String(); !strings.Contains(s, w) {
					t.Errorf("finding %d = %q, want it to contain %q", i, s, w)
				}
			}
		})
	}
	if err := CheckUnitName(""); err == nil {
		t.Error("ValidateName: empty name accepted")
	}
}
