package units

import (
	"bytes"
	"path"
	"strings"
	"testing"

	"github.com/coreos/go-systemd/v22/unit"
)

// fleetPrintf expands s for the unit named name as fleet does when it
// schedules (job/job.go requirements and unitPrintf, unit/unit.go
// NewUnitNameInfo: prefix and instance split at the first '@').
func fleetPrintf(s, name string) string {
	n := name[:strings.LastIndex(name, ".")]
	prefix, instance := n, ""
	if a := strings.Index(n, "@"); a >= 0 {
		prefix, instance = n[:a], n[a+1:]
	}
	s = strings.ReplaceAll(s, "%n", name)
	s = strings.ReplaceAll(s, "%N", n)
	s = strings.ReplaceAll(s, "%p", prefix)
	return strings.ReplaceAll(s, "%i", instance)
}

// fleetReqs returns the expanded [X-Fleet] values of data, run as name.
func fleetReqs(t *testing.T, name string, data []byte) map[string][]string {
	t.Helper()
	opts, err := unit.DeserializeOptions(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	reqs := map[string][]string{}
	for _, o := range opts {
		if o.Section == "X-Fleet" {
			for _, v := range fleetValues(o.Value) {
				reqs[fleetKeys[o.Name]] = append(reqs[fleetKeys[o.Name]], fleetPrintf(v, name))
			}
		}
	}
	return reqs
}

// conflicting is agent/state.go hasConflict for two units: a Conflicts
// glob of either matching the other's name.
func conflicting(a, b string, ra, rb map[string][]string) bool {
	return globMatch(ra["Conflicts"], b) || globMatch(rb["Conflicts"], a)
}

func globMatch(globs []string, name string) bool {
	for _, g := range globs {
		if m, _ := path.Match(g, name); m {
			return true
		}
	}
	return false
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
			if conflicting(be, sk, rbe, rsk) {
				t.Errorf("%s conflicts with its peer %s", sk, be)
			}
			if !conflicting(be, be2, rbe, rbe2) {
				t.Errorf("%s and %s may share a machine", be, be2)
			}
			rlb := fleetReqs(t, files[2].Name, files[2].Data)
			for k := range rlb {
				if spec.GlobalLB && k != "Global" && k != "MachineMetadata" {
					t.Errorf("global %s has %s", files[2].Name, k)
				}
			}
			for _, l := range strings.Split(string(files[3].Data), "\n") {
				if strings.Contains(l, "fleetctl start") && strings.Contains(l, "@.") {
					t.Errorf("README starts a template: %s", l)
				}
			}
		})
	}
}
