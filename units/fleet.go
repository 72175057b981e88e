package units

import (
	"path"
	"strings"
)

// fleetKeys maps every [X-Fleet] key fleet accepts (job.validRequirements
// in fleet's job/job.go), including the deprecated spellings, to the
// requirement it expresses.
var fleetKeys = map[string]string{
	"MachineID": "MachineID", "X-ConditionMachineID": "MachineID", "X-ConditionMachineBootID": "MachineID",
	"MachineOf": "MachineOf", "X-ConditionMachineOf": "MachineOf",
	"MachineMetadata": "MachineMetadata", "X-ConditionMachineMetadata": "MachineMetadata",
	"Conflicts": "Conflicts", "X-Conflicts": "Conflicts",
	"Global":   "Global",
	"Replaces": "Replaces",
}

// fleetRefused are the requirement pairs fleet's api.ValidateOptions
// (api/units.go) refuses in one unit; fleetctl submit/start runs it too.
// "MachineOf" is what fleet calls Peers. The Replaces pairs come from
// fleet >= 0.13, whose api/units.go we could not read (see
// fleet_parity_test.go); they are refused here either way.
var fleetRefused = [][2]string{
	{"MachineID", "MachineOf"}, {"MachineID", "Conflicts"}, {"MachineID", "Global"}, {"MachineID", "Replaces"},
	{"Global", "MachineOf"}, {"Global", "Conflicts"}, {"Global", "Replaces"}, {"Conflicts", "Replaces"},
}

// fleetValue is one value of an [X-Fleet] option, as fleet's Job sees it.
type fleetValue struct {
	v    string
	line int
}

// lintFleet checks the [X-Fleet] options as fleet does at submit time:
// known keys (fleet only warns); k=v metadata (fleet ignores others);
// Global's value; the pairs in fleetRefused; a MachineOf peer matched by a
// Conflicts (or Replaces) glob. Values are split like fleet's
// parseMultivalueLine first. Like fleet's ValidateOptions, the glob check
// does NOT expand specifiers: MachineOf=apache@%i.service is refused next
// to Conflicts=apache@*.service. Specifiers fleet never expands are
// reported too.
func lintFleet(opts []option, add func(int, string, ...any)) {
	vals := map[string][]fleetValue{} // requirement -> values
	for _, o := range opts {
		if o.section != "X-Fleet" {
			continue
		}
		req, ok := fleetKeys[o.name]
		if !ok {
			add(o.line, "unknown [X-Fleet] key %q: fleet ignores it (fleetctl only warns)", o.name)
			continue
		}
		if s := unexpandedSpecifier(o.value); s != "" {
			add(o.line, "%s=%q: fleet expands only %%n, %%N, %%p and %%i in [X-Fleet]; %q stays literal", o.name, o.value, s)
		}
		for _, v := range fleetValues(o.value) {
			vals[req] = append(vals[req], fleetValue{v, o.line})
			k, val, ok := strings.Cut(v, "=")
			if req == "MachineMetadata" && (!ok || k == "" || val == "" || strings.Contains(val, "=")) {
				add(o.line, "%s: %q is not key=value; fleet ignores it", o.name, v)
			}
		}
	}
	for _, g := range vals["Global"] {
		if !truthy(g.v) && !falsy(g.v) {
			add(g.line, "Global=%q is not a boolean (true/yes/1/on/t or false/no/0/off/f); fleet takes it as false", g.v)
		}
	}
	if g := vals["Global"]; len(g) > 0 && !truthy(g[len(g)-1].v) {
		delete(vals, "Global") // the last value wins (job.Unit.IsGlobal)
	}
	for _, p := range vals["MachineOf"] {
		for _, req := range []string{"Conflicts", "Replaces"} {
			for _, c := range vals[req] {
				if m, _ := path.Match(c.v, p.v); m {
					add(p.line, "fleet refuses this unit: peer %q (MachineOf) matches %s %q (specifiers are not expanded for this check)",
						p.v, strings.TrimSuffix(strings.ToLower(req), "s"), c.v)
				}
			}
		}
	}
	for _, pair := range fleetRefused {
		if a, b := vals[pair[0]], vals[pair[1]]; len(a) > 0 && len(b) > 0 {
			add(b[0].line, "fleet refuses this unit: %s cannot be used with %s", pair[0], pair[1])
		}
	}
}

// fleetValues splits an [X-Fleet] value as fleet's parseMultivalueLine
// (unit/unit.go): a value that starts and ends with '"' holds several
// values separated by spaces outside quotes, and every '"' is dropped;
// any other value is one value, quotes included.
func fleetValues(v string) []string {
	if !strings.HasPrefix(v, `"`) || !strings.HasSuffix(v, `"`) {
		return []string{v}
	}
	var out []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '"':
			quoted = !quoted
		case c == ' ' && !quoted:
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(out, cur.String())
}

// unexpandedSpecifier returns the first "%%" or %<letter> in v that
// fleet's unitPrintf (job/job.go) leaves alone: it replaces only %n, %N,
// %p and %i, and has no "%%". A '%' before anything else is plainly
// literal and not reported.
func unexpandedSpecifier(v string) string {
	for i := 0; i+1 < len(v); i++ {
		if v[i] != '%' {
			continue
		}
		c := v[i+1]
		if c == '%' || (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') && !strings.ContainsRune("nNpi", rune(c)) {
			return v[i : i+2]
		}
		i++
	}
	return ""
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

// Conflicts is the LB's X-Fleet Conflicts= list from --lb-conflicts values:
// "none" stands for no conflict at all (an empty, non-nil list).
func Conflicts(globs []string) []string {
	out := []string{}
	for _, g := range globs {
		if g != "none" {
			out = append(out, g)
		}
	}
	return out
}
