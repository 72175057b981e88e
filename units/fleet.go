package units

import (
	"path"
	"strings"
)

// fleetKeys maps every [X-Fleet] key fleet accepts, including the
// deprecated spellings, to the requirement it expresses.
var fleetKeys = map[string]string{
	"MachineID": "MachineID", "X-ConditionMachineID": "MachineID", "X-ConditionMachineBootID": "MachineID",
	"MachineOf": "MachineOf", "X-ConditionMachineOf": "MachineOf",
	"MachineMetadata": "MachineMetadata", "X-ConditionMachineMetadata": "MachineMetadata",
	"Conflicts": "Conflicts", "X-Conflicts": "Conflicts",
	"Global":   "Global",
	"Replaces": "Replaces",
}

// lintFleet checks the [X-Fleet] options as fleet does at submit time:
// known keys; k=v metadata; Global's value; and the combinations fleet
// refuses: MachineID with MachineOf (peers), Conflicts, Global or
// Replaces; Global with MachineOf or Replaces; Conflicts with Replaces; a
// MachineOf peer matched by a Conflicts glob. That last check, like
// fleet's, does NOT expand specifiers: MachineOf=apache@%i.service is
// refused next to Conflicts=apache@*.service.
func lintFleet(opts []option, add func(int, string, ...any)) {
	has := map[string]int{} // requirement -> line of first use (or -1)
	var peers, conflicts []option
	global := false
	for _, o := range opts {
		if o.section != "X-Fleet" {
			continue
		}
		req, ok := fleetKeys[o.name]
		if !ok {
			add(o.line, "unknown [X-Fleet] key %q", o.name)
			continue
		}
		if _, seen := has[req]; !seen {
			has[req] = o.line
		}
		switch req {
		case "MachineOf":
			peers = append(peers, o)
		case "Conflicts":
			conflicts = append(conflicts, o)
		case "MachineMetadata":
			for _, kv := range metadataValues(o.value) {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" || v == "" || strings.Contains(v, "=") {
					add(o.line, "%s: %q is not key=value; fleet ignores it", o.name, kv)
				}
			}
		case "Global":
			global = truthy(o.value) // the last value wins
			if !global && !falsy(o.value) {
				add(o.line, "Global=%q is not a boolean (true/yes/1/on/t or false/no/0/off/f)", o.value)
			}
		}
	}
	if !global {
		delete(has, "Global")
	}
	for _, p := range peers {
		for _, c := range conflicts {
			if m, _ := path.Match(c.value, p.value); m {
				add(p.line, "fleet refuses this unit: peer %q (MachineOf) matches conflict %q (specifiers are not expanded for this check)", p.value, c.value)
			}
		}
	}
	for _, pair := range [][2]string{
		{"MachineID", "MachineOf"}, {"MachineID", "Conflicts"}, {"MachineID", "Global"}, {"MachineID", "Replaces"},
		{"Global", "MachineOf"}, {"Global", "Replaces"}, {"Conflicts", "Replaces"},
	} {
		if _, a := has[pair[0]]; a {
			if l, b := has[pair[1]]; b {
				add(l, "fleet refuses this unit: %s cannot be used with %s", pair[0], pair[1])
			}
		}
	}
}

func truthy(s string) bool {
	switch strings.ToLower(s) {
	case "true", "yes", "1", "on", "t":
		return true
	}
	return false
}

func falsy(s string) bool {
	switch strings.ToLower(s) {
	case "false", "no", "0", "off", "f":
		return true
	}
	return false
}

// metadataValues splits a MachineMetadata value as fleet does: a value
// starting with '"' holds several quoted, space-separated k=v pairs.
func metadataValues(v string) []string {
	if !strings.HasPrefix(v, `"`) {
		return []string{v}
	}
	var out []string
	for _, f := range strings.Fields(v) {
		out = append(out, strings.Trim(f, `"`))
	}
	return out
}
