package units

import (
	"strings"
	"testing"
)

// fleetReqs returns the requirements of data, run as name.
func fleetReqs(t *testing.T, name string, data []byte) FleetReqs {
	t.Helper()
	r, err := FleetRequirements(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestGeneratedFleetSchedulable: once fleet expands %i with the instance
// name, each sidekick's only peer is its own backend, the two do not
// conflict (fleet could never place them together), backends conflict
// with each other (one per machine), a global LB has only metadata, and
// the README starts instances, never a template (api/units.go set:
// "cannot activate template").
func TestGeneratedFleetSchedulable(t *testing.T) {
	for name, spec := range goldenSpecs() {
		if spec.Flavor != FlavorFleet {
			continue
		}
		t.Run(name, func(t *testing.T) {
			files, err := Generate(spec)
			if err != nil {
				t.Fatal(err)
			}
			inst := func(f File, i string) string { return strings.Replace(f.Name, "@.", "@"+i+".", 1) }
			be, be2, sk := inst(files[0], "8080"), inst(files[0], "8081"), inst(files[1], "8080")
			rbe, rbe2, rsk := fleetReqs(t, be, files[0].Data), fleetReqs(t, be2, files[0].Data), fleetReqs(t, sk, files[1].Data)
			if p := rsk["MachineOf"]; len(p) != 1 || p[0] != be {
				t.Errorf("%s: MachineOf = %q, want [%s]", sk, p, be)
			}
			if FleetConflict(be, rbe, sk, rsk) {
				t.Errorf("%s conflicts with its peer %s", sk, be)
			}
			if !FleetConflict(be, rbe, be2, rbe2) {
				t.Errorf("%s and %s may share a machine", be, be2)
			}
			rlb := fleetReqs(t, files[2].Name, files[2].Data)
			for k := range rlb {
				if spec.GlobalLB && k != "Global" && k != "MachineMetadata" {
					t.Errorf("global %s has %s", files[2].Name, k)
				}
			}
			readme, err := Readme(spec)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range strings.Split(string(readme), "\n") {
				if strings.Contains(l, "fleetctl start") && strings.Contains(l, "@.") {
					t.Errorf("README starts a template: %s", l)
				}
			}
		})
	}
}
