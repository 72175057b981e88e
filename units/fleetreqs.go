package units

import (
	"bytes"
	"fmt"
	"path"
	"strings"

	"github.com/coreos/go-systemd/v22/unit"
)

// FleetReqs are the [X-Fleet] requirements of one unit as fleet's scheduler
// sees them, keyed by requirement ("MachineOf", "Conflicts",
// "MachineMetadata", "Global", "MachineID", "Replaces"; deprecated spellings
// folded in), values split and specifiers expanded.
type FleetReqs map[string][]string

// FleetRequirements returns the requirements fleet schedules the unit called
// name (an instance name for a template: "apache@8080.service") by, from its
// file data: values split like fleet's parseMultivalueLine and %n, %N, %p and
// %i expanded for name like fleet's job.unitPrintf. Unknown keys are left out.
func FleetRequirements(name string, data []byte) (FleetReqs, error) {
	opts, err := unit.DeserializeOptions(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	reqs := FleetReqs{}
	for _, o := range opts {
		req, ok := fleetKeys[o.Name]
		if o.Section != "X-Fleet" || !ok {
			continue
		}
		for _, v := range fleetValues(o.Value) {
			reqs[req] = append(reqs[req], fleetPrintf(v, name))
		}
	}
	return reqs, nil
}

// FleetConflict reports whether fleet keeps the units a and b (with their
// requirements ra and rb) off one machine: a Conflicts glob of either
// matches the other's name (fleet's agent state hasConflict).
func FleetConflict(a string, ra FleetReqs, b string, rb FleetReqs) bool {
	return globMatch(ra["Conflicts"], b) || globMatch(rb["Conflicts"], a)
}

// fleetPrintf expands s for the unit named name as fleet's unitPrintf does:
// %n the name, %N without the suffix, %p the prefix and %i the instance,
// split at the first '@' (unit.NewUnitNameInfo).
func fleetPrintf(s, name string) string {
	n := strings.TrimSuffix(name, path.Ext(name))
	prefix, instance := n, ""
	if a := strings.Index(n, "@"); a >= 0 {
		prefix, instance = n[:a], n[a+1:]
	}
	for _, r := range [][2]string{{"%n", name}, {"%N", n}, {"%p", prefix}, {"%i", instance}} {
		s = strings.ReplaceAll(s, r[0], r[1])
	}
	return s
}

func globMatch(globs []string, name string) bool {
	for _, g := range globs {
		if m, _ := path.Match(g, name); m {
			return true
		}
	}
	return false
}
