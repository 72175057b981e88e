package units

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxUnitName is systemd's limit on a unit name (UNIT_NAME_MAX - 1);
// fleet's api.ValidateName allows one byte more.
const MaxUnitName = 255

// fleetUnitTypes are the suffixes fleet accepts; templateTypes those that
// may carry an "@" (systemd's unit_type_may_template).
var (
	fleetUnitTypes = set("service", "socket", "busname", "target", "snapshot", "device",
		"mount", "automount", "swap", "timer", "path", "slice", "scope")
	templateTypes = set("service", "socket", "target", "timer", "path")
)

func set(ss ...string) map[string]bool {
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[s] = true
	}
	return m
}

const unitNameChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.\\@"

// CheckUnitName reports whether name is a unit name both fleet (its
// api.ValidateName) and systemd accept: at most 255 bytes of letters,
// digits and `:-_.\@`, a known type suffix after the last '.', something
// before it, not starting with '@', and only template-capable types
// (service, socket, target, timer, path) with an '@'. The 255-byte limit,
// the non-empty prefix and the template types are systemd's rules; fleet
// allows 256 bytes and checks neither of the others.
func CheckUnitName(name string) error {
	switch {
	case name == "":
		return errors.New("unit name is empty")
	case len(name) > MaxUnitName:
		return fmt.Errorf("unit name %.40q... is %d bytes long, more than %d", name, len(name), MaxUnitName)
	case strings.HasPrefix(name, "@"):
		return fmt.Errorf("unit name %q starts with \"@\"", name)
	}
	dot := strings.LastIndex(name, ".")
	if dot < 0 || dot == len(name)-1 {
		return fmt.Errorf("unit name %q has no type suffix (such as \".service\")", name)
	}
	if dot == 0 {
		return fmt.Errorf("unit name %q is only a type suffix", name)
	}
	typ := name[dot+1:]
	if !fleetUnitTypes[typ] {
		return fmt.Errorf("unit name %q has unknown type %q", name, typ)
	}
	bad := func(r rune) bool { return !strings.ContainsRune(unitNameChars, r) }
	if i := strings.IndexFunc(name[:dot], bad); i >= 0 {
		r, _ := utf8.DecodeRuneInString(name[i:])
		return fmt.Errorf("unit name %q has invalid character %q (allowed: letters, digits, `:-_.\\@`)", name, r)
	}
	if strings.Contains(name, "@") && !templateTypes[typ] {
		return fmt.Errorf("unit name %q: a %s unit cannot be a template or instance", name, typ)
	}
	return nil
}

// checkServiceName validates a name used as a unit-name prefix, a container
// name and an etcd key component: a letter or digit, then letters, digits,
// '_', '.', '-'.
func checkServiceName(option, s string) error {
	if s == "" {
		return fmt.Errorf("%s: empty name", option)
	}
	ok := isAlnum(s[0])
	for i := 0; ok && i < len(s); i++ {
		ok = isAlnum(s[i]) || strings.IndexByte("_.-", s[i]) >= 0
	}
	if !ok {
		return fmt.Errorf("%s: %q must start with a letter or digit and contain only letters, digits, '_', '.' and '-'", option, s)
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// fleetctlTypes are the suffixes fleetctl recognizes (unit.RecognizedUnitType
// in fleet's unit/unit.go); it appends ".service" to any other argument.
var fleetctlTypes = []string{"service", "socket", "timer", "path", "device", "mount", "automount"}

// checkFleetctlName reports whether `fleetctl submit/start` takes a file
// named name as that unit: fleetctl (unitNameMangle, fleetctl.go) turns
// "x.target" into "x.target.service", finds no such file and fails.
func checkFleetctlName(name string) error {
	for _, t := range fleetctlTypes {
		if strings.HasSuffix(name, "."+t) {
			return nil
		}
	}
	return fmt.Errorf("unit name %q: fleetctl only knows .%s units and would look for %q instead",
		name, strings.Join(fleetctlTypes, ", ."), name+".service")
}
