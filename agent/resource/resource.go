// Package resource holds template resources: confd's conf.d/*.toml files,
// with every confd key and confwatch's additions, loaded and checked without
// touching etcd.
package resource

import (
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/confwatch/confwatch/agent/apply"
	"github.com/confwatch/confwatch/agent/config"
	"github.com/confwatch/confwatch/agent/render"
)

// File is the TOML shape of a template resource file: one [template] table.
type File struct {
	Template Spec `toml:"template"`
}

// Spec is a template resource as written. Pointers mark keys that may be absent.
type Spec struct {
	Src      string   `toml:"src"`
	Dest     string   `toml:"dest"`
	Keys     []string `toml:"keys"`
	Prefix   string   `toml:"prefix"`
	Mode     string   `toml:"mode"`
	UID      *int     `toml:"uid"`
	GID      *int     `toml:"gid"`
	Owner    string   `toml:"owner"`
	Group    string   `toml:"group"`
	CheckCmd string   `toml:"check_cmd"`
	// CheckInPlace: nil = automatic (in place when check_cmd does not use {{.src}}).
	CheckInPlace *bool  `toml:"check_in_place"`
	ReloadCmd    string `toml:"reload_cmd"`

	CheckTimeout  config.Duration `toml:"check_cmd_timeout"`
	ReloadTimeout config.Duration `toml:"reload_cmd_timeout"`

	ReloadUnit      string `toml:"reload_unit"`
	ReloadMode      string `toml:"reload_mode"`
	StartIfInactive bool   `toml:"start_if_inactive"`
	ReloadGroup     string `toml:"reload_group"`

	AllowEmpty bool    `toml:"allow_empty"`
	MaxShrink  *string `toml:"max_shrink"`
	// MinReloadInterval: nil = DefaultMinReloadInterval when the resource
	// reloads something, else 0; "0" turns the budget off.
	MinReloadInterval *config.Duration `toml:"min_reload_interval"`
	// MaxDraining, MaxHold: the reload hold (see hold.go); nil = the default.
	MaxDraining *int             `toml:"max_draining"`
	MaxHold     *config.Duration `toml:"max_hold"`
	Wait        string           `toml:"wait"`
	MaxOutput   string           `toml:"max_output"`
	// OutputFormat (the confd fork's key): json, yaml or toml; a render
	// that does not parse as it is refused before any check.
	OutputFormat string `toml:"output_format"`
}

// Resource is a loaded, validated template resource.
type Resource struct {
	Spec
	Name     string      // resource file name without .toml
	File     string      // the .toml file it came from
	SrcPath  string      // absolute template path
	TplDir   string      // <confdir>/templates: where include finds files
	Dirs     []string    // etcd directories read: prefix joined to each key, no trailing slash
	FileMode fs.FileMode // 0 when unset: keep dest's mode, else 0644
	Shrink   float64     // max_shrink as a fraction in [0,1]; 1 disables the guard
	UID, GID int         // resolved owner; -1 when unset
	WaitMin  time.Duration
	WaitMax  time.Duration
	// MinInterval is the effective min_reload_interval (the reload budget).
	MinInterval time.Duration
	// Hold is the effective reload hold: Hold.MaxDraining 0 is off.
	Hold Hold
	// OutputLimit is max_output in bytes: a larger render is a render
	// error (render.DefaultMaxOutput when unset).
	OutputLimit int64
}

// Defaults for timeouts a resource does not set.
const (
	DefaultCheckTimeout  = 60 * time.Second
	DefaultReloadTimeout = 60 * time.Second
	// DefaultMinReloadInterval is the reload budget of a resource with a
	// reload_cmd or reload_unit that does not set min_reload_interval: the
	// first change after quiet is applied at once, later ones within the
	// interval are merged, and the final state is applied at its end.
	DefaultMinReloadInterval = time.Second
)

// minInterval resolves min_reload_interval: as set, else the default for a
// resource that reloads something, else 0.
func minInterval(s Spec) time.Duration {
	switch {
	case s.MinReloadInterval != nil:
		return s.MinReloadInterval.Duration
	case s.ReloadCmd != "" || s.ReloadUnit != "":
		return DefaultMinReloadInterval
	default:
		return 0
	}
}

// InPlaceCheck reports whether check_cmd runs with the candidate at dest:
// as set by check_in_place, else whenever check_cmd's template does not
// reference {{.src}} (apply.UsesSrc: it checks the service's whole
// configuration, like `nginx -t`, which would otherwise test the old file).
func (r *Resource) InPlaceCheck() bool {
	if r.CheckInPlace != nil {
		return *r.CheckInPlace
	}
	return r.CheckCmd != "" && !apply.UsesSrc(r.CheckCmd)
}

// Group is the identity of the reload transaction the resource belongs to
// (engine names a reload_cmd group for its first resource, not by this):
// resources with the same reload action are checked, swapped, reloaded and
// rolled back together.
func (r *Resource) Group() string {
	switch {
	case r.ReloadGroup != "":
		return "group:" + r.ReloadGroup
	case r.ReloadUnit != "":
		return "unit:" + r.ReloadUnit
	case r.ReloadCmd != "":
		// The command as it will run: one using {{.dest}} differs per file.
		cmd, err := apply.Expand(r.ReloadCmd, r.Dest, r.Dest)
		if err != nil {
			cmd = r.ReloadCmd
		}
		return "cmd:" + cmd
	default:
		return "file:" + r.Dest
	}
}

// parseMode parses confd's octal mode string (base 0, "0644"): permission
// bits only, not all zero.
func parseMode(s string) (fs.FileMode, error) {
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseUint(s, 0, 32)
	switch {
	case err != nil || v > 0o7777:
		return 0, fmt.Errorf("mode = %q: want an octal mode like \"0644\"", s)
	case v == 0:
		// 0 is also apply's "unset" (keep dest's mode, else 0644): refused
		// rather than silently becoming 0644.
		return 0, fmt.Errorf("mode = %q gives no permission at all: want a mode like \"0600\"", s)
	case v&0o7000 != 0:
		// Octal 04000 is not fs.ModeSetuid: taken as is, the bit was dropped
		// and the file never compared equal, so every render reloaded.
		if decimal(s) {
			return 0, fmt.Errorf("mode = %q has no leading 0, so it is read as decimal, as confd does (%#o), and setuid, setgid and sticky bits are refused: write %q for octal", s, v, "0"+s)
		}
		return 0, fmt.Errorf("mode = %q: setuid, setgid and sticky bits are refused (a configuration file has no use for them): want %#o", s, v&0o777)
	}
	return fs.FileMode(v), nil
}

// decimal reports whether parseMode reads s as decimal (no leading 0).
func decimal(s string) bool { return s != "" && s[0] >= '1' && s[0] <= '9' }

// parseShrink parses max_shrink ("50%", "0.5"); nil means the default 50%.
func parseShrink(s *string) (float64, error) {
	if s == nil {
		return 0.5, nil
	}
	t := strings.TrimSpace(*s)
	pct := strings.HasSuffix(t, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(t, "%"), 64)
	if pct {
		v /= 100
	}
	if err != nil || !(v >= 0 && v <= 1) { // NaN fails both: it would turn the guard off
		return 0, fmt.Errorf("max_shrink = %q: want a percentage from 0%% to 100%%", *s)
	}
	return v, nil
}

// parseSize parses max_output: bytes, or a count of KiB, MiB or GiB
// ("64MiB"); "" is the default.
func parseSize(s string) (int64, error) {
	if s == "" {
		return render.DefaultMaxOutput, nil
	}
	t, mult := strings.TrimSpace(s), int64(1)
	for _, u := range []struct {
		suffix string
		v      int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if n, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(n), u.v
			break
		}
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil || v <= 0 || v > (1<<40)/mult {
		return 0, fmt.Errorf("max_output = %q: want a size like \"64MiB\", \"512KiB\" or bytes", s)
	}
	return v * mult, nil
}

// parseWait parses consul-template's quiescence "min:max" (or "min", max = 4*min).
func parseWait(s string) (time.Duration, time.Duration, error) {
	if s == "" {
		return 0, 0, nil
	}
	a, b, two := strings.Cut(s, ":")
	min, err := time.ParseDuration(a)
	if err != nil || min < 0 {
		return 0, 0, fmt.Errorf("wait = %q: want \"min:max\" durations like \"2s:10s\"", s)
	}
	max := 4 * min
	if two {
		if max, err = time.ParseDuration(b); err != nil || max < min {
			return 0, 0, fmt.Errorf("wait = %q: max must be a duration not below min", s)
		}
	}
	return min, max, nil
}

// Dirs joins the effective prefix to each key, as confd's AppendPrefix does.
func dirs(prefix string, keys []string) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		d := path.Join("/", prefix, k)
		out = append(out, d)
	}
	return out
}
